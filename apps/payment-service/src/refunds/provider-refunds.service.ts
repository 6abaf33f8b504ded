import { PaymentRefundFailed, PaymentRefundSucceeded } from '@ebb/contracts';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import type { RefundSnapshot } from '@ebb/contracts';
import { addToOutbox } from '@ebb/messaging';
import { LOGGER } from '@ebb/observability';
import { recordCall } from '@ebb/outbound';
import { writeBack } from '@ebb/persistence';
import { Payment } from '../payments/payment.entity';
import type { ProviderRefundOutcome } from '../providers/payment-provider';
import { ProviderRefundCall } from './provider-refund-kind';
import { ProviderRefund } from './provider-refund.entity';
import { ACTION_FOR_REPORT, type ProviderRefundAction, providerRefundMachine } from './provider-refund-state';

/** What the provider (its answer, a webhook, the status sync, a look-up or an operator) says about one refund. */
export interface RefundReport {
  status: ProviderRefundOutcome;
  providerRefundId?: string;
  /** the attempt the report is about, when the provider echoes it; a report on an older attempt is ignored */
  attempt?: number;
  reason?: string;
  /** when Ebb first asked the provider (a call's own report): kept as the refund's `claimedAt` */
  calledAt?: Date;
}

export type SettleOutcome = 'applied' | 'unchanged' | 'stale' | 'unmatched';

/** Records provider refunds and settles them; every method works inside the caller's transaction. */
@Injectable()
export class ProviderRefundsService {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  /**
   * `refund.refunding`: records the provider refund to send (attempt 1) and its outbound call, or, for
   * a refund whose last attempt failed, the next attempt with a new idempotency key. Anything else
   * already in hand is a no-op.
   */
  async request(manager: EntityManager, refund: RefundSnapshot): Promise<void> {
    const repository = manager.getRepository(ProviderRefund);
    // two deliveries of one refund in concurrent transactions: the second waits here and then finds the row
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext('provider_refund:' || $1))`, [refund.refundId]);
    const existing = await repository.findOne({ where: { refundId: refund.refundId }, lock: { mode: 'pessimistic_write' } });
    if (existing && existing.status !== 'failed') {
      this.logger.info({ refundId: refund.refundId, status: existing.status }, 'refund already in hand; nothing to do');
      return;
    }
    // the order's own payment, or the duplicate this refund pays back
    const payment = await manager.getRepository(Payment).findOne({
      where: refund.paymentId ? { id: refund.paymentId, orderId: refund.orderId, status: 'succeeded' } : { orderId: refund.orderId, status: 'succeeded', duplicate: false },
      order: { createdAt: 'ASC' },
    });
    const row =
      existing ??
      Object.assign(new ProviderRefund(), { refundId: refund.refundId, orderId: refund.orderId, attempt: 0, status: 'requested', origin: 'ebb', createdAt: new Date() });
    if (existing) this.move(existing, 'resend');
    Object.assign(row, {
      paymentId: payment?.id ?? null,
      provider: payment?.provider ?? 'stripe',
      amount: refund.amount,
      currency: refund.currency,
      attempt: existing ? existing.attempt + 1 : 1,
      providerRefundId: null,
      failureReason: null,
      claimedAt: null,
      syncedAt: null,
      updatedAt: new Date(),
    });
    // a new row is inserted, a failed attempt (locked above) written back: no read before the write
    const store = (value: ProviderRefund) => (existing ? writeBack(manager, value) : repository.insert(value));
    if (!payment) {
      // nothing was captured here for this order: refuse at once rather than ask the provider
      this.move(row, 'fail');
      row.failureReason = 'no_captured_payment';
      await store(row);
      await addToOutbox(manager, PaymentRefundFailed, { refundId: row.refundId, orderId: row.orderId, paymentId: '', amount: row.amount, currency: row.currency, reason: 'no_captured_payment' });
      return;
    }
    await store(row);
    await recordCall(manager, ProviderRefundCall, `${row.refundId}:${row.attempt}`, { refundId: row.refundId, attempt: row.attempt }, { claim: 'on-commit' });
  }

  /** The refund a provider report is about: by our refund id (metadata), else by the provider's id. */
  async findForReport(manager: EntityManager, report: { refundId?: string; providerRefundId?: string }): Promise<ProviderRefund | null> {
    const repository = manager.getRepository(ProviderRefund);
    const lock = { mode: 'pessimistic_write' as const };
    if (report.refundId) {
      const byId = await repository.findOne({ where: { refundId: report.refundId }, lock });
      if (byId) return byId;
    }
    return report.providerRefundId ? repository.findOne({ where: { providerRefundId: report.providerRefundId }, lock }) : null;
  }

  /**
   * Applies a provider report through the machine: a report that would move the refund backwards
   * (failed after succeeded, pending after settled) or concerns an older attempt changes nothing.
   */
  async settle(manager: EntityManager, refundId: string, report: RefundReport): Promise<SettleOutcome> {
    const row = await this.findForReport(manager, { refundId });
    if (!row) return 'unmatched';
    return this.settleRow(manager, row, report);
  }

  /** `row` must have been loaded, locked, in this transaction (`findForReport`). */
  async settleRow(manager: EntityManager, row: ProviderRefund, report: RefundReport): Promise<SettleOutcome> {
    if (report.attempt !== undefined && report.attempt !== row.attempt) return 'stale';
    if (report.providerRefundId && row.providerRefundId && report.providerRefundId !== row.providerRefundId) return 'stale';
    const learntId = !row.providerRefundId && report.providerRefundId && row.status !== 'failed';
    if (learntId) row.providerRefundId = report.providerRefundId!;
    const action = ACTION_FOR_REPORT[report.status];
    if (!providerRefundMachine.can(row.status, action)) {
      if (!learntId) return row.status === report.status ? 'unchanged' : 'stale';
      row.updatedAt = new Date();
      await writeBack(manager, row);
      return 'unchanged';
    }
    this.move(row, action);
    if (report.status === 'failed') row.failureReason = report.reason ?? 'failed';
    row.claimedAt ??= report.calledAt ?? null;
    await writeBack(manager, row);

    const base = {
      refundId: row.refundId,
      orderId: row.orderId,
      paymentId: row.paymentId ?? '',
      amount: row.amount,
      currency: row.currency,
      ...(row.claimedAt ? { providerCalledAt: new Date(row.claimedAt).toISOString() } : {}),
    };
    if (report.status === 'succeeded') {
      await manager.query(`UPDATE payments SET refunded_amount = refunded_amount + $2, updated_at = now() WHERE id = $1`, [row.paymentId, row.amount]);
      await addToOutbox(manager, PaymentRefundSucceeded, { ...base, providerRefundId: row.providerRefundId ?? '' });
    } else if (report.status === 'failed') {
      await addToOutbox(manager, PaymentRefundFailed, { ...base, ...(row.providerRefundId ? { providerRefundId: row.providerRefundId } : {}), reason: row.failureReason ?? 'failed' });
    }
    return 'applied';
  }

  /** Every attempt's outcome stayed unknown and no look-up settled it: parked for an operator (and alerted on). */
  async loseTrack(manager: EntityManager, refundId: string, attempt: number, lastError: string): Promise<void> {
    const row = await this.findForReport(manager, { refundId });
    if (!row || row.attempt !== attempt || !providerRefundMachine.can(row.status, 'lose_track')) return;
    this.move(row, 'lose_track');
    row.failureReason = `outcome unknown: ${lastError}`.slice(0, 2000);
    await writeBack(manager, row);
    this.logger.error({ refundId, attempt, err: lastError }, 'provider refund outcome unknown; parked for an operator');
  }

  /** The one place a provider refund's status changes: the machine says whether the action is allowed. */
  move(row: ProviderRefund, action: ProviderRefundAction): void {
    row.status = providerRefundMachine.transition(row.status, action);
    row.updatedAt = new Date();
  }
}
