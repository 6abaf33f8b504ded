import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { crashPoint } from '@ebb/config';
import { LOGGER, gauge } from '@ebb/observability';
import { CallRefusedError, type OutboundCall, OutboundCalls, exponentialBackoff } from '@ebb/outbound';
import { PAYMENT_ENV, type PaymentEnv } from '../config';
import { PAYMENT_PROVIDERS, type PaymentProviders, type ProviderName, ProviderRefusedError } from '../providers/payment-provider';
import { ProviderRefundCall } from './provider-refund-kind';
import { ProviderRefundsService, type RefundReport } from './provider-refunds.service';


interface RefundToSend {
  refund_id: string;
  attempt: number;
  amount: string;
  currency: string;
  payment_amount: string | null;
  status: string;
  provider: ProviderName;
  provider_payment_id: string | null;
}

/** What a call found out: a report to settle, or nothing (the refund moved on, or was already settled). */
type CallResult = { report?: RefundReport };

/** Provider refunds waiting for an operator: every attempt's outcome stayed unknown (ProviderRefundOutcomeUnknown alerts on it). */
const outcomeUnknownGauge = (dataSource: DataSource) =>
  gauge('provider_refunds_outcome_unknown', 'Provider refunds whose outcome stayed unknown after every attempt: an operator resolves them', [], async function collect() {
    if (!dataSource.isInitialized) return;
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM provider_refunds WHERE status = 'outcome_unknown'`);
    this.set(n);
  });

/**
 * Sends a recorded provider refund, outside any transaction, and settles it from the answer in a
 * transaction of its own (the outbound-call loop does the claiming, leases and retries). An unknown
 * outcome (timeout, 5xx, a lost answer) is tried again with backoff under the same key, so the
 * provider pays once. A repeat past the provider's idempotency horizon (Stripe forgets keys after
 * 24 h), and the last attempt, first look the refund up by Ebb's own reference: found, it is settled;
 * not found on the last attempt, no money moved and it fails with that reason (an operator may send
 * it again); a look-up that fails too parks it as `outcome_unknown`.
 */
@Injectable()
export class ProviderRefundCalls implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly calls: OutboundCalls,
    private readonly refunds: ProviderRefundsService,
    @Inject(PAYMENT_PROVIDERS) private readonly providers: PaymentProviders,
    @Inject(PAYMENT_ENV) private readonly env: PaymentEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    outcomeUnknownGauge(this.dataSource);
    this.calls.handle<{ refundId: string; attempt: number }, CallResult>(
      ProviderRefundCall,
      {
        call: (call) => this.send(call),
        onResult: async (manager, call, { report }) => {
          if (!report) return;
          const outcome = await this.refunds.settle(manager, call.payload.refundId, report);
          this.logger.info({ refundId: call.payload.refundId, attempt: call.payload.attempt, status: report.status, outcome }, 'provider refund recorded');
        },
        onRefused: async (manager, call, error) => {
          await this.refunds.settle(manager, call.payload.refundId, { status: 'failed', attempt: call.payload.attempt, reason: error.code ?? error.message });
        },
        onParked: (manager, call, error) => this.refunds.loseTrack(manager, call.payload.refundId, call.payload.attempt, error.message),
      },
      {
        maxAttempts: this.env.PROVIDER_REFUND_MAX_ATTEMPTS,
        backoffMs: exponentialBackoff(this.env.PROVIDER_REFUND_BACKOFF_MS, this.env.PROVIDER_REFUND_MAX_BACKOFF_MS),
        leaseMs: this.env.REFUND_CALL_RETRY_MS,
      },
    );
  }

  private async send(call: OutboundCall<{ refundId: string; attempt: number }>): Promise<CallResult> {
    const { refundId, attempt } = call.payload;
    const [row]: RefundToSend[] = await this.dataSource.query(
      `SELECT r.refund_id, r.attempt, r.amount, r.currency, r.status, r.provider, p.provider_payment_id, p.captured_amount AS payment_amount
         FROM provider_refunds r LEFT JOIN payments p ON p.id = r.payment_id WHERE r.refund_id = $1`,
      [refundId],
    );
    // settled meanwhile (a webhook), or a newer attempt replaced this one: nothing to send
    if (!row || row.attempt !== attempt || row.status !== 'requested') return {};
    const provider = this.providers[row.provider];
    if (!provider || !row.provider_payment_id) {
      return { report: { status: 'failed', attempt, reason: provider ? 'payment_has_no_provider_id' : 'provider_not_supported' } };
    }
    // when the provider was first asked (the request → provider latency): recorded with the answer, in its transaction
    const calledAt = call.firstCalledAt;
    const reference = { providerPaymentId: row.provider_payment_id, refundId, attempt };
    try {
      const lastAttempt = call.attempt >= call.maxAttempts;
      const pastHorizon = Date.now() - call.firstCalledAt.getTime() > this.env.PROVIDER_IDEMPOTENCY_HORIZON_MS;
      if (call.attempt > 1 && (lastAttempt || pastHorizon)) {
        // the key may be forgotten (or this is the last chance): ask what the provider made of it before anything else
        const found = await provider.findRefund(reference);
        if (found) return { report: { ...found, attempt, calledAt } };
        if (lastAttempt) return { report: { status: 'failed', attempt, reason: 'provider_unreachable: no refund was made' } };
      }
      const state = await provider.refund({
        refundId,
        attempt,
        providerPaymentId: row.provider_payment_id,
        amount: Number(row.amount),
        currency: row.currency,
        paymentAmount: Number(row.payment_amount ?? row.amount),
        idempotencyKey: `${refundId}:${attempt}`,
      });
      crashPoint('payment.after-provider-call');
      return { report: { ...state, attempt, calledAt } };
    } catch (error) {
      if (error instanceof ProviderRefusedError) throw new CallRefusedError(error.message, error.code);
      this.logger.warn({ err: (error as Error).message, refundId, attempt: call.attempt }, 'provider refund call failed; will retry');
      throw error;
    }
  }
}
