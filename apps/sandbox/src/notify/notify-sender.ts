import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { LOGGER } from '@ebb/observability';
import type { Logger } from 'pino';
import { SANDBOX_ENV, type SandboxEnv } from '../config';
import { FaultsService } from '../faults/faults.service';
import { Timers } from '../timers';

/** One asynchronous notification of Alipay or WeChat Pay, as it goes out (and as `GET /__sandbox/notifications` lists it). */
export interface Notification {
  id: number;
  provider: 'alipay' | 'wechatpay';
  /** the provider's notification id (Alipay's notify_id, WeChat Pay's event id) */
  notifyId: string;
  type: string;
  /** what it is about (a trade or a refund number), for tests to find it */
  objectId: string;
  url: string;
  status: 'pending' | 'delivered' | 'failed' | 'dropped';
  attempts: number;
  responseStatus: number | null;
  lastError: string | null;
  createdAt: string;
}

export interface OutgoingNotification {
  provider: Notification['provider'];
  notifyId: string;
  type: string;
  objectId: string;
  url: string;
  contentType: string;
  /** made afresh for each attempt (WeChat Pay signs every sending with its own timestamp and nonce) */
  render(): { body: string; headers: Record<string, string> };
  /** whether the receiver took it: Alipay wants the text `success`, WeChat Pay a 2xx */
  accepted(status: number, body: string): boolean;
}

const ATTEMPT_TIMEOUT_MS = 5000;

/**
 * Sends Alipay's and WeChat Pay's asynchronous notifications: one attempt, then at most three more
 * (SANDBOX_NOTIFY_RETRY_DELAYS_MS) while the receiver does not accept it, then it is given up. Faults
 * may hold them back (notifyDelayMs, a late notification), send each twice, or lose them.
 */
@Injectable()
export class NotifySender implements OnModuleDestroy {
  private readonly sent: Notification[] = [];
  private readonly timers = new Timers();

  constructor(
    @Inject(SANDBOX_ENV) private readonly env: SandboxEnv,
    private readonly faults: FaultsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  send(outgoing: OutgoingNotification): void {
    const { duplicateWebhooks, dropWebhooks, notifyDelayMs } = this.faults.active;
    for (let copy = 0; copy < (duplicateWebhooks ? 2 : 1); copy++) {
      const notification: Notification = {
        id: this.sent.length + 1,
        provider: outgoing.provider,
        notifyId: outgoing.notifyId,
        type: outgoing.type,
        objectId: outgoing.objectId,
        url: outgoing.url,
        status: dropWebhooks ? 'dropped' : 'pending',
        attempts: 0,
        responseStatus: null,
        lastError: null,
        createdAt: new Date().toISOString(),
      };
      this.sent.push(notification);
      if (!dropWebhooks) this.timers.later(notifyDelayMs, () => void this.attempt(notification, outgoing));
    }
  }

  list(filter: { provider?: string; objectId?: string; type?: string }): Notification[] {
    return this.sent.filter(
      (n) => (!filter.provider || n.provider === filter.provider) && (!filter.objectId || n.objectId === filter.objectId) && (!filter.type || n.type === filter.type),
    );
  }

  onModuleDestroy() {
    this.timers.stop();
  }

  private async attempt(notification: Notification, outgoing: OutgoingNotification): Promise<void> {
    notification.attempts += 1;
    try {
      const { body, headers } = outgoing.render();
      const response = await fetch(outgoing.url, {
        method: 'POST',
        headers: { 'content-type': outgoing.contentType, ...headers },
        body,
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
      const text = await response.text();
      notification.responseStatus = response.status;
      if (outgoing.accepted(response.status, text)) {
        notification.status = 'delivered';
        notification.lastError = null;
        return;
      }
      notification.lastError = `answered ${response.status}: ${text.slice(0, 200)}`;
    } catch (error) {
      notification.responseStatus = null;
      notification.lastError = error instanceof Error ? String((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    }
    // at most three retries, whatever the list holds
    const delay = this.env.SANDBOX_NOTIFY_RETRY_DELAYS_MS.slice(0, 3)[notification.attempts - 1];
    if (delay === undefined) {
      notification.status = 'failed';
      this.logger.warn({ provider: notification.provider, notifyId: notification.notifyId, attempts: notification.attempts, error: notification.lastError }, 'notification given up');
      return;
    }
    this.timers.later(delay, () => void this.attempt(notification, outgoing));
  }

}
