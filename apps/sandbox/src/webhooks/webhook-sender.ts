import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { LOGGER } from '@ebb/observability';
import type { Logger } from 'pino';
import Stripe from 'stripe';
import { SANDBOX_ENV, type SandboxEnv } from '../config';
import { FaultsService } from '../faults/faults.service';
import { stripeId, unixNow } from '../stripe/stripe-params';
import { Timers } from '../timers';

export type WebhookEventType =
  | 'payment_intent.succeeded'
  | 'payment_intent.payment_failed'
  | 'payment_intent.canceled'
  | 'refund.updated'
  | 'refund.failed';

/** One sending of one event (a duplicated event has two), as `GET /__sandbox/webhooks` lists it. */
export interface WebhookDelivery {
  id: number;
  eventId: string;
  type: WebhookEventType;
  objectId: string;
  status: 'pending' | 'delivered' | 'failed' | 'dropped';
  attempts: number;
  responseStatus: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  payload: string;
}

const ATTEMPT_TIMEOUT_MS = 5000;

/**
 * Sends Stripe events to SANDBOX_WEBHOOK_URL, signed as Stripe signs them, one attempt at a time in
 * order; a receiver that answers non-2xx or cannot be reached gets the event again after each of
 * SANDBOX_WEBHOOK_RETRY_DELAYS_MS, then it is given up. Faults may send each event twice, or hold
 * events briefly and send them in reverse order.
 */
@Injectable()
export class WebhookSender implements OnModuleDestroy {
  // the SDK itself signs, so payment-service's constructEvent verifies exactly what Stripe would send
  private readonly signer = new Stripe('sk_test_ebb_local');
  private readonly deliveries: WebhookDelivery[] = [];
  private readonly queue: WebhookDelivery[] = [];
  private held: WebhookDelivery[] = [];
  private readonly timers = new Timers();
  private sending = false;
  private stopped = false;

  constructor(
    @Inject(SANDBOX_ENV) private readonly env: SandboxEnv,
    private readonly faults: FaultsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Queues the event of `object` (a snapshot taken now) for delivery; returns the event id. */
  send(type: WebhookEventType, object: { id: string }, previousAttributes?: Record<string, unknown>): string {
    const event = {
      id: stripeId('evt'),
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: unixNow(),
      data: { object, ...(previousAttributes ? { previous_attributes: previousAttributes } : {}) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
    const payload = JSON.stringify(event, null, 2);
    const { duplicateWebhooks, reorderWebhooks, dropWebhooks } = this.faults.active;
    for (let copy = 0; copy < (duplicateWebhooks ? 2 : 1); copy++) {
      const delivery: WebhookDelivery = {
        id: this.deliveries.length + 1,
        eventId: event.id,
        type,
        objectId: object.id,
        status: 'pending',
        attempts: 0,
        responseStatus: null,
        lastError: null,
        createdAt: new Date().toISOString(),
        deliveredAt: null,
        payload,
      };
      this.deliveries.push(delivery);
      if (dropWebhooks) delivery.status = 'dropped';
      else if (reorderWebhooks) this.hold(delivery);
      else this.enqueue(delivery);
    }
    return event.id;
  }

  /** Every delivery so far, oldest first, without the payload unless asked. */
  list(filter: { type?: string; objectId?: string } = {}, withPayload = false) {
    return this.deliveries
      .filter((d) => (!filter.type || d.type === filter.type) && (!filter.objectId || d.objectId === filter.objectId))
      .map(({ payload, ...delivery }) => (withPayload ? { ...delivery, event: JSON.parse(payload) as unknown } : delivery));
  }

  onModuleDestroy() {
    this.stopped = true;
    this.timers.stop();
  }

  private hold(delivery: WebhookDelivery) {
    this.held.push(delivery);
    if (this.held.length > 1) return;
    // the first held event opens the window; all held by its end go out newest first
    this.timers.later(this.env.SANDBOX_REORDER_WINDOW_MS, () => {
      const released = this.held.reverse();
      this.held = [];
      for (const d of released) this.enqueue(d);
    });
  }

  private enqueue(delivery: WebhookDelivery) {
    this.queue.push(delivery);
    void this.pump();
  }

  private async pump() {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > 0 && !this.stopped) await this.attempt(this.queue.shift()!);
    } finally {
      this.sending = false;
    }
  }

  private async attempt(delivery: WebhookDelivery) {
    delivery.attempts += 1;
    try {
      const signature = this.signer.webhooks.generateTestHeaderString({ payload: delivery.payload, secret: this.env.STRIPE_WEBHOOK_SECRET });
      const response = await fetch(this.env.SANDBOX_WEBHOOK_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature, 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
        body: delivery.payload,
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      delivery.responseStatus = response.status;
      if (response.ok) {
        delivery.status = 'delivered';
        delivery.deliveredAt = new Date().toISOString();
        delivery.lastError = null;
        return;
      }
      delivery.lastError = `answered ${response.status}`;
    } catch (error) {
      delivery.responseStatus = null;
      delivery.lastError = error instanceof Error ? String((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    }
    const delay = this.env.SANDBOX_WEBHOOK_RETRY_DELAYS_MS[delivery.attempts - 1];
    if (delay === undefined) {
      delivery.status = 'failed';
      this.logger.warn({ eventId: delivery.eventId, type: delivery.type, attempts: delivery.attempts, error: delivery.lastError }, 'webhook given up');
      return;
    }
    this.timers.later(delay, () => this.enqueue(delivery));
  }

}
