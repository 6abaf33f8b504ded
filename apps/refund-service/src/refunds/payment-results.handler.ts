import { Inject, Injectable, type OnModuleInit, Optional } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { PaymentRefundFailed, PaymentRefundSucceeded } from '@ebb/contracts';
import { type IncomingMessage, MessageConsumer } from '@ebb/messaging';
import { LOGGER } from '@ebb/observability';
import type { Refund } from './refund.entity';
import { applyRefundAction, lockRefund, saveRefund } from './refund-lifecycle';
import { type RefundAction, refundStateMachine } from './refund-state';
import { observeProviderLatency } from './refund.metrics';

const PAYMENT_SERVICE = 'payment-service';

/**
 * payment-service's word on a provider refund settles the refund. The inbox makes a redelivery a
 * no-op; a late or out-of-order result for a refund that can no longer take it changes nothing.
 */
@Injectable()
export class PaymentResultsHandler implements OnModuleInit {
  constructor(
    private readonly consumer: MessageConsumer,
    @Optional() @Inject(LOGGER) private readonly logger?: Logger,
  ) {}

  onModuleInit() {
    this.consumer.on(PaymentRefundSucceeded, 'refunds.settle-succeeded-refund', (message, manager) =>
      this.succeeded(message, manager),
    );
    this.consumer.on(PaymentRefundFailed, 'refunds.settle-failed-refund', (message, manager) => this.failed(message, manager));
  }

  private async succeeded({ payload, messageId }: IncomingMessage<PaymentRefundSucceeded>, manager: EntityManager): Promise<void> {
    const refund = await this.refundFor(manager, payload.refundId, ['succeed', 'succeed_after_failure'], messageId);
    if (!refund) return;
    // a failure reported first gave the amount back; the provider paid after all, so the action counts it again
    const action = refund.status === 'failed' ? 'succeed_after_failure' : 'succeed';
    const event = await applyRefundAction(manager, refund, action, PAYMENT_SERVICE, {
      change: (r) => {
        r.providerRefundId = payload.providerRefundId;
        r.failureReason = null;
      },
    });
    await saveRefund(manager, refund, [event]);
    observeProviderLatency(refund.createdAt, payload.providerCalledAt);
  }

  private async failed({ payload, messageId }: IncomingMessage<PaymentRefundFailed>, manager: EntityManager): Promise<void> {
    const refund = await this.refundFor(manager, payload.refundId, ['fail'], messageId);
    if (!refund) return;
    // a failed refund no longer holds its amount (the action releases it): the order can refund it again
    const event = await applyRefundAction(manager, refund, 'fail', PAYMENT_SERVICE, {
      note: payload.reason,
      change: (r) => {
        r.failureReason = payload.reason;
        if (payload.providerRefundId) r.providerRefundId = payload.providerRefundId;
      },
    });
    await saveRefund(manager, refund, [event]);
    observeProviderLatency(refund.createdAt, payload.providerCalledAt);
  }

  /** The refund, locked (its ledger first), if the result still applies to it; undefined for a stale result. */
  private async refundFor(manager: EntityManager, refundId: string, actions: RefundAction[], messageId: string): Promise<Refund | undefined> {
    const refund = await lockRefund(manager, refundId);
    // refund.refunding is published only after the refund committed, so an unknown id is a bug: retried, then parked
    if (!refund) throw new Error(`payment result for unknown refund ${refundId}`);
    if (!actions.some((action) => refundStateMachine.can(refund.status, action))) {
      this.logger?.info({ refundId, status: refund.status, actions, messageId }, 'stale payment result ignored');
      return undefined;
    }
    return refund;
  }
}
