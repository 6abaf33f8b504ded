import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { PaymentRefundedOutsideEbb, newId } from '@ebb/contracts';
import { addToOutbox } from '@ebb/messaging';
import { LOGGER, counter } from '@ebb/observability';
import { CallRefusedError, OutboundCalls, defineCall, exponentialBackoff, recordCall } from '@ebb/outbound';
import { Payment } from '../payments/payment.entity';
import { PAYMENT_PROVIDERS, type PaymentProviders, type ProviderName, ProviderRefusedError, type ProviderRefundState } from '../providers/payment-provider';
import { ProviderRefund } from './provider-refund.entity';
import { ProviderRefundsService, type SettleOutcome } from './provider-refunds.service';

/** A refund the provider made that Ebb did not: what a notification or a bill tells of it. */
export interface OutsideRefund {
  providerRefundId: string;
  providerPaymentId: string;
  /** minor units; unknown when the notification does not say (Alipay's tells only the total refunded): looked up */
  amount?: number;
}

type DetectedBy = 'webhook' | 'reconciliation';

/** A refund seen without its amount: asked of the provider after the commit (an outbound call), recorded from the answer. */
export const LookUpOutsideRefund = defineCall<{ provider: ProviderName; providerRefundId: string; providerPaymentId: string; detectedBy: DetectedBy }>(
  'provider.look-up-outside-refund',
  { maxAttempts: 10, backoffMs: exponentialBackoff(1000, 10 * 60_000) },
);

const outsideRefunds = counter('provider_refunds_outside_ebb_total', 'Refunds made at the provider outside Ebb (its dashboard) that Ebb recorded, by provider and how they were seen', ['provider', 'detected_by']);

/**
 * Money given back at the provider outside Ebb. Recorded once per provider refund id, against the
 * payment it refunds, as a succeeded provider refund of origin `provider`; the payment's refunded
 * amount grows (its CHECK keeps it within the capture), and `payment.refunded_outside_ebb` tells
 * refund-service, whose ledger then counts it (and order-service shows it, flagged for support).
 */
@Injectable()
export class OutsideRefunds implements OnModuleInit {
  constructor(
    private readonly calls: OutboundCalls,
    private readonly refunds: ProviderRefundsService,
    @Inject(PAYMENT_PROVIDERS) private readonly providers: PaymentProviders,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.calls.handle<{ provider: ProviderName; providerRefundId: string; providerPaymentId: string; detectedBy: DetectedBy }, ProviderRefundState>(LookUpOutsideRefund, {
      call: async ({ payload }) => {
        const provider = this.providers[payload.provider];
        if (!provider) throw new CallRefusedError(`${payload.provider} is not configured`);
        return provider.retrieveRefund(payload.providerRefundId).catch((error: unknown) => {
          if (error instanceof ProviderRefusedError) throw new CallRefusedError(error.message, error.code);
          throw error;
        });
      },
      onResult: async (manager, { payload }, state) => {
        if (state.status !== 'succeeded' || state.amount === undefined) return;
        await this.record(manager, payload.provider, { providerRefundId: payload.providerRefundId, providerPaymentId: payload.providerPaymentId, amount: state.amount }, payload.detectedBy);
      },
      onRefused: async (_manager, call, error) => {
        this.logger.warn({ ...call.payload, err: error.message }, 'a refund made outside Ebb could not be looked up; reconciliation will report it');
      },
    });
  }

  /** A succeeded refund Ebb did not make: recorded now when its amount is known, else looked up after the commit. */
  async observe(manager: EntityManager, provider: ProviderName, refund: OutsideRefund, detectedBy: DetectedBy): Promise<SettleOutcome> {
    if (refund.amount !== undefined) return this.record(manager, provider, { ...refund, amount: refund.amount }, detectedBy);
    const known = await manager.getRepository(ProviderRefund).findOne({ where: { providerRefundId: refund.providerRefundId } });
    if (known) return 'unchanged';
    await recordCall(manager, LookUpOutsideRefund, `${provider}:${refund.providerRefundId}`, { provider, ...refund, detectedBy });
    return 'applied';
  }

  /** Records it once (the provider refund id is unique); a payment we do not hold is not ours to count. */
  async record(manager: EntityManager, provider: ProviderName, refund: OutsideRefund & { amount: number }, detectedBy: DetectedBy): Promise<SettleOutcome> {
    const payment = await manager.getRepository(Payment).findOne({ where: { provider, providerPaymentId: refund.providerPaymentId }, lock: { mode: 'pessimistic_write' } });
    if (!payment) return 'unmatched';
    const known = await manager.getRepository(ProviderRefund).findOne({ where: { providerRefundId: refund.providerRefundId } });
    if (known) return 'unchanged';
    const row = Object.assign(new ProviderRefund(), {
      refundId: newId('ref'),
      paymentId: payment.id,
      orderId: payment.orderId,
      provider,
      amount: refund.amount,
      currency: payment.currency,
      attempt: 1,
      status: 'requested',
      origin: 'provider',
      providerRefundId: refund.providerRefundId,
      failureReason: null,
      claimedAt: null,
      syncedAt: null,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    // the provider paid it already: recorded through the machine as a request that succeeded
    this.refunds.move(row, 'succeed');
    await manager.getRepository(ProviderRefund).insert(row);
    await manager.query(`UPDATE payments SET refunded_amount = refunded_amount + $2, updated_at = now() WHERE id = $1`, [payment.id, refund.amount]);
    await addToOutbox(manager, PaymentRefundedOutsideEbb, {
      refundId: row.refundId,
      orderId: payment.orderId,
      paymentId: payment.id,
      customerId: payment.customerId,
      email: payment.email ?? '',
      provider,
      providerRefundId: refund.providerRefundId,
      amount: refund.amount,
      currency: payment.currency,
      capturedAmount: Number(payment.capturedAmount),
      duplicate: payment.duplicate,
      detectedBy,
    });
    outsideRefunds.inc({ provider, detected_by: detectedBy });
    this.logger.warn({ provider, orderId: payment.orderId, paymentId: payment.id, providerRefundId: refund.providerRefundId, amount: refund.amount, detectedBy }, 'a refund made at the provider outside Ebb; recorded and flagged for support');
    return 'applied';
  }
}
