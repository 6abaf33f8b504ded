import type { ProviderName, ProviderPaymentRecord, ProviderRefundOutcome, ProviderRefundRecord, ProviderStatement } from '../providers/payment-provider';
import type { ProviderRefundStatus } from '../refunds/provider-refund-state';
import type { DifferenceKind } from './reconciliation.view';

/** A payment as Ebb holds it, captured on the day being reconciled (or looked up by the provider's id). */
export interface EbbPayment {
  id: string;
  providerPaymentId: string | null;
  status: string;
  capturedAmount: number;
  currency: string;
}

/** A provider refund as Ebb holds it. */
export interface EbbRefund {
  refundId: string;
  attempt: number;
  providerRefundId: string | null;
  providerPaymentId: string | null;
  status: ProviderRefundStatus;
  amount: number;
  currency: string;
}

/** A difference found, with what is needed to repair it when that is safe. */
export interface Difference {
  kind: DifferenceKind;
  object: 'payment' | 'refund';
  provider: ProviderName;
  refundId?: string;
  providerRefundId?: string;
  paymentId?: string;
  providerPaymentId?: string;
  currency?: string;
  ebbAmount?: number;
  providerAmount?: number;
  ebbStatus?: string;
  providerStatus?: string;
  /** the repair the run may make in its transaction: the provider's word is the truth and nothing is lost by following it */
  repair?:
    | { kind: 'settle_refund'; refundId: string; attempt: number; status: ProviderRefundOutcome; providerRefundId?: string; reason?: string }
    | { kind: 'record_outside_refund'; providerRefundId: string; providerPaymentId: string; amount: number }
    | { kind: 'capture_payment'; paymentId: string; providerPaymentId: string; amount: number; currency: string };
}

/** What the comparison may ask of the provider and of Ebb's database for a record it found on one side only. */
export interface Lookups {
  ebbRefunds(records: ProviderRefundRecord[]): Promise<EbbRefund[]>;
  ebbPayments(providerPaymentIds: string[]): Promise<EbbPayment[]>;
  providerRefund(refund: EbbRefund): Promise<{ status: ProviderRefundOutcome; amount?: number; providerRefundId: string } | null>;
  providerPayment(providerPaymentId: string): Promise<ProviderPaymentRecord | null>;
}

/** Ebb's statuses that wait for the provider's word: the provider's final answer settles them. */
const UNSETTLED: readonly ProviderRefundStatus[] = ['pending', 'outcome_unknown'];
const OPEN_PAYMENT = ['pending', 'failed', 'canceled'];

/**
 * Ebb's payments captured and refunds made on a day against the provider's records of that day. A
 * record on one side only is looked up on the other (by id, whatever its day: a refund made at 23:59
 * may reach the provider after midnight) before it is called missing. Amounts must be equal; a refund
 * Ebb still waits on that the provider has settled is a status difference repaired by settling it, as
 * its webhook would have; a payment the provider took that Ebb still shows open is captured the same
 * way; a refund made at the provider outside Ebb is recorded. Everything else waits for a person.
 */
export async function compareRecords(
  provider: ProviderName,
  ebb: { payments: EbbPayment[]; refunds: EbbRefund[] },
  statement: ProviderStatement,
  lookups: Lookups,
): Promise<{ matched: number; differences: Difference[] }> {
  const differences: Difference[] = [];
  let matched = 0;

  // refunds: the provider's first, each with its Ebb row (found by id or by Ebb's own reference, whatever day it was made)
  const providerRefunds = statement.refunds;
  const ebbRefunds = await lookups.ebbRefunds(providerRefunds);
  const byProviderId = new Map(ebbRefunds.filter((r) => r.providerRefundId).map((r) => [r.providerRefundId!, r]));
  const byReference = new Map(ebbRefunds.map((r) => [`${r.refundId}:${r.attempt}`, r]));
  const seen = new Set<string>();
  for (const record of providerRefunds) {
    const row = byProviderId.get(record.providerRefundId) ?? (record.refundId ? byReference.get(`${record.refundId}:${record.attempt}`) : undefined);
    if (!row) {
      // no money moved for a refund that failed: nothing to count
      if (record.status === 'failed') continue;
      differences.push({
        kind: 'missing_in_ebb',
        object: 'refund',
        provider,
        providerRefundId: record.providerRefundId,
        providerPaymentId: record.providerPaymentId,
        currency: record.currency,
        providerAmount: record.amount,
        providerStatus: record.status,
        ...(record.status === 'succeeded' ? { repair: { kind: 'record_outside_refund' as const, providerRefundId: record.providerRefundId, providerPaymentId: record.providerPaymentId, amount: record.amount } } : {}),
      });
      continue;
    }
    seen.add(row.refundId);
    const found = compareRefund(provider, row, { status: record.status, amount: record.amount, providerRefundId: record.providerRefundId });
    if (found) differences.push(found);
    else matched += 1;
  }
  // then Ebb's refunds of the day the provider's list did not name: asked of the provider one by one
  for (const row of ebb.refunds) {
    if (seen.has(row.refundId) || row.status === 'requested' || row.status === 'failed') continue;
    const record = await lookups.providerRefund(row);
    if (!record) {
      differences.push({
        kind: 'missing_at_provider',
        object: 'refund',
        provider,
        refundId: row.refundId,
        ...(row.providerRefundId ? { providerRefundId: row.providerRefundId } : {}),
        currency: row.currency,
        ebbAmount: row.amount,
        ebbStatus: row.status,
        // a refund whose outcome stayed unknown and that the provider never made: it failed, its amount is free again
        ...(row.status === 'outcome_unknown' ? { repair: { kind: 'settle_refund' as const, refundId: row.refundId, attempt: row.attempt, status: 'failed' as const, reason: 'not made at the provider (reconciliation)' } } : {}),
      });
      continue;
    }
    const found = compareRefund(provider, row, record);
    if (found) differences.push(found);
    else matched += 1;
  }

  // payments: what the provider took that day, against what Ebb captured
  const paid = statement.payments.filter((p) => p.status === 'succeeded');
  const ebbPayments = await lookups.ebbPayments(paid.map((p) => p.providerPaymentId));
  const paymentsById = new Map(ebbPayments.map((p) => [p.providerPaymentId!, p]));
  const seenPayments = new Set<string>();
  for (const record of paid) {
    const payment = paymentsById.get(record.providerPaymentId);
    if (!payment) {
      differences.push({ kind: 'missing_in_ebb', object: 'payment', provider, providerPaymentId: record.providerPaymentId, currency: record.currency, providerAmount: record.amount, providerStatus: record.status });
      continue;
    }
    seenPayments.add(payment.id);
    const found = comparePayment(provider, payment, record);
    if (found) differences.push(found);
    else matched += 1;
  }
  for (const payment of ebb.payments) {
    if (seenPayments.has(payment.id) || !payment.providerPaymentId) continue;
    const record = await lookups.providerPayment(payment.providerPaymentId);
    if (!record || record.status !== 'succeeded') {
      differences.push({
        kind: record ? 'status_mismatch' : 'missing_at_provider',
        object: 'payment',
        provider,
        paymentId: payment.id,
        providerPaymentId: payment.providerPaymentId,
        currency: payment.currency,
        ebbAmount: payment.capturedAmount,
        ebbStatus: payment.status,
        ...(record ? { providerStatus: record.status, providerAmount: record.amount } : {}),
      });
      continue;
    }
    const found = comparePayment(provider, payment, record);
    if (found) differences.push(found);
    else matched += 1;
  }
  return { matched, differences };
}

function compareRefund(provider: ProviderName, row: EbbRefund, record: { status: ProviderRefundOutcome; amount?: number; providerRefundId: string }): Difference | undefined {
  const both = {
    object: 'refund' as const,
    provider,
    refundId: row.refundId,
    providerRefundId: record.providerRefundId,
    ...(row.providerPaymentId ? { providerPaymentId: row.providerPaymentId } : {}),
    currency: row.currency,
    ebbAmount: row.amount,
    ...(record.amount !== undefined ? { providerAmount: record.amount } : {}),
    ebbStatus: row.status,
    providerStatus: record.status,
  };
  if (record.amount !== undefined && record.amount !== row.amount) return { kind: 'amount_mismatch', ...both };
  if (record.status === row.status) return undefined;
  // Ebb still waits on it: the provider's final word settles it, as its notification would have
  if ((UNSETTLED.includes(row.status) || row.status === 'requested') && record.status !== 'pending') {
    return { kind: 'status_mismatch', ...both, repair: { kind: 'settle_refund', refundId: row.refundId, attempt: row.attempt, status: record.status, providerRefundId: record.providerRefundId, reason: 'failed at the provider (reconciliation)' } };
  }
  // the provider still working on one Ebb sent: not a difference yet
  if (row.status === 'requested' && record.status === 'pending') return undefined;
  return { kind: 'status_mismatch', ...both };
}

function comparePayment(provider: ProviderName, payment: EbbPayment, record: ProviderPaymentRecord): Difference | undefined {
  const both = {
    object: 'payment' as const,
    provider,
    paymentId: payment.id,
    providerPaymentId: record.providerPaymentId,
    currency: payment.currency,
    ebbAmount: payment.capturedAmount,
    providerAmount: record.amount,
    ebbStatus: payment.status,
    providerStatus: record.status,
  };
  if (payment.status === 'succeeded') return payment.capturedAmount === record.amount ? undefined : { kind: 'amount_mismatch', ...both };
  // the provider took the money and its notification never came: captured now, as the notification would have
  if (OPEN_PAYMENT.includes(payment.status)) {
    return { kind: 'status_mismatch', ...both, repair: { kind: 'capture_payment', paymentId: payment.id, providerPaymentId: record.providerPaymentId, amount: record.amount, currency: record.currency } };
  }
  return { kind: 'status_mismatch', ...both };
}
