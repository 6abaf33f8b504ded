import { REFUND_EVENTS, RefundRequested } from '@ebb/contracts';
import type { EntityManager } from 'typeorm';
import type { DomainEvent, RefundSnapshot } from '@ebb/contracts';
import { recordIdempotentEffect } from '@ebb/http';
import { addToOutbox } from '@ebb/messaging';
import { writeBack } from '@ebb/persistence';
import { recordCall } from '@ebb/outbound';
import { StoreVoucher } from '../vouchers/voucher-call';
import { IllegalTransitionError } from '@ebb/state-machine';
import { Refund, type RefundLine, ledgerKeyOf } from './refund.entity';
import { RefundErrorCode, refundError } from './refund-errors';
import { refundProcessSeconds, refundsTotal } from './refund.metrics';
import { adjustCommitted, lockLedger } from './refund-ledger';
import { type RefundAction, type RefundStatus, ledgerEffectOf, refundStateMachine } from './refund-state';
import { refundView } from './refund.view';

/** Outcomes counted by `refunds_total`. */
const COUNTED: readonly RefundStatus[] = ['succeeded', 'failed', 'rejected', 'cancelled'];

/** The goods that go back on hand if this refund succeeds: unshipped goods it covers, or what came back of a shipped order. */
export function restockItemsOf(refund: Pick<Refund, 'shipped' | 'restock' | 'goods' | 'returned' | 'reason'>): RefundLine[] {
  // goods a stock count found missing never go back on hand
  if (refund.reason === 'out_of_stock') return [];
  if (!refund.shipped) return refund.goods;
  return refund.restock ? (refund.returned ?? []) : [];
}

/** The payload every refund event carries: the refund as it stands after the transition. */
export function refundSnapshot(refund: Refund, note?: string): RefundSnapshot {
  return {
    refundId: refund.id,
    orderId: refund.orderId,
    customerId: refund.customerId,
    email: refund.email,
    status: refund.status,
    amount: refund.amount,
    currency: refund.currency,
    reason: refund.reason,
    initiator: refund.initiator,
    ...(refund.items ? { items: refund.items } : {}),
    shipped: refund.shipped,
    ...(refund.failureReason ? { failureReason: refund.failureReason } : {}),
    ...(refund.providerRefundId ? { providerRefundId: refund.providerRefundId } : {}),
    ...(note ? { note } : {}),
    ...(refund.restock ? { restock: true } : {}),
    restockItems: restockItemsOf(refund),
    ...(refund.paymentId ? { paymentId: refund.paymentId } : {}),
    locale: refund.locale,
    ...(refund.sellerId ? { sellerId: refund.sellerId } : {}),
    ...(refund.sellerReview ? { sellerReview: true } : {}),
    ...(refund.autoApproveAt ? { autoApproveAt: refund.autoApproveAt.toISOString() } : {}),
    ...(refund.cause?.startsWith(OUTSIDE_EBB) ? { refundedOutsideEbb: true } : {}),
  };
}

/** The cause of a refund made at the provider outside Ebb: `outside:<provider>:<providerRefundId>`. */
export const OUTSIDE_EBB = 'outside:';

/**
 * The refund, locked for a change, with its order's ledger locked first: every writer takes the two
 * in this order (ledger, then refund), so an operator's retry and a payment result on one order queue
 * instead of deadlocking. Null when there is no such refund.
 */
export async function lockRefund(manager: EntityManager, refundId: string): Promise<Refund | null> {
  const [found]: { order_id: string; payment_id: string | null }[] = await manager.query(`SELECT order_id, payment_id FROM refunds WHERE id = $1`, [refundId]);
  if (!found) return null;
  await lockLedger(manager, ledgerKeyOf({ orderId: found.order_id, paymentId: found.payment_id }));
  return manager.findOne(Refund, { where: { id: refundId }, lock: { mode: 'pessimistic_write' } });
}

/** A new refund: inserted with its amount committed on the order's ledger (locked by the caller). */
export async function openRefund(manager: EntityManager, refund: Refund): Promise<DomainEvent<RefundSnapshot>> {
  await adjustCommitted(manager, ledgerKeyOf(refund), refund.amount);
  await manager.insert(Refund, refund);
  return RefundRequested.of(refundSnapshot(refund, refund.note ?? undefined));
}

export interface ActionOptions {
  note?: string;
  at?: Date;
  change?: (refund: Refund) => void;
}

/**
 * The only way a refund's status changes: the machine decides the next status, the ledger moves as
 * the action says (commit or release, on the ledger `lockRefund` locked), and the history entry and
 * the `refund.<status>` event come with it. The caller saves the refund (`saveRefund`). An action
 * the status does not allow is 409 `invalid_refund_transition` with `{from, action}`, and nothing changes.
 */
export async function applyRefundAction(
  manager: EntityManager,
  refund: Refund,
  action: RefundAction,
  actor: string,
  options: ActionOptions = {},
): Promise<DomainEvent<RefundSnapshot>> {
  let next: RefundStatus;
  try {
    next = refundStateMachine.transition(refund.status, action);
  } catch (error) {
    if (!(error instanceof IllegalTransitionError)) throw error;
    throw refundError(RefundErrorCode.InvalidRefundTransition, describe(refund.status, action), { from: refund.status, action });
  }
  const ledger = ledgerEffectOf(action);
  if (ledger) await adjustCommitted(manager, ledgerKeyOf(refund), ledger === 'commit' ? refund.amount : -refund.amount);
  const at = options.at ?? new Date();
  options.change?.(refund);
  refund.status = next;
  refund.history = [...refund.history, { status: next, at: at.toISOString(), actor, ...(options.note ? { note: options.note } : {}) }];
  refund.updatedAt = at;
  if (COUNTED.includes(next)) refundsTotal.inc({ outcome: next });
  // a refund that succeeded gets its voucher, made and stored by this process as soon as this transaction commits
  if (next === 'succeeded') await recordCall(manager, StoreVoucher, refund.id, { refundId: refund.id }, { claim: 'on-commit' });
  if (refundStateMachine.isFinal(next)) refundProcessSeconds.observe({ outcome: next }, (at.getTime() - refund.createdAt.getTime()) / 1000);
  return REFUND_EVENTS[next].of(refundSnapshot(refund, options.note));
}

/**
 * Writes a changed refund back with one event for the transaction, and, for a request that carries an
 * Idempotency-Key, its answer in the same commit (`answer`: the refund as the API shows it, unless the
 * request answers later, after a call it waits for). The event is `refund.<status>` of the last step,
 * its `steps` every status reached since the refund's previous event (requested → approved →
 * refunding is one message, not three). With `announce: false` (a transaction that waits on a call
 * it made) the steps are kept on the refund, and the transaction that records the answer tells them.
 */
export async function saveRefund(
  manager: EntityManager,
  refund: Refund,
  events: DomainEvent<RefundSnapshot>[],
  options: { answer?: boolean; announce?: boolean } = {},
): Promise<void> {
  const steps = [...(refund.unannounced ?? []), ...events.map((event) => event.payload.status)];
  const announce = options.announce !== false && steps.length > 0;
  refund.unannounced = announce ? [] : steps;
  // updated_at is the database's clock at the write (the change feed relies on it): read back for the answer
  await writeBack(manager, refund, { refresh: ['updatedAt'] });
  if (announce) {
    const last = events.at(-1) ?? REFUND_EVENTS[refund.status].of(refundSnapshot(refund));
    await addToOutbox(manager, { ...last, payload: { ...last.payload, steps } });
  }
  await recordIdempotentEffect(manager, `refund:${refund.id}`, options.answer === false ? undefined : refundView(refund));
}

/** Tells the steps a refund reached that no event told yet (a call it waited on failed, and may take long). */
export async function announcePending(manager: EntityManager, refundId: string): Promise<void> {
  const refund = await lockRefund(manager, refundId);
  if (refund && refund.unannounced.length > 0) await saveRefund(manager, refund, []);
}

/** What the refund cannot do, as the error message says it: "A succeeded refund cannot be approved." */
const CANNOT: Record<RefundAction, string> = {
  review: 'be sent for review',
  approve: 'be approved',
  reject: 'be rejected',
  cancel: 'be cancelled',
  intercept: 'be intercepted',
  await_return: 'wait for a return',
  receive_return: 'be marked as returned',
  pass_inspection: 'pass inspection',
  fail_inspection: 'fail inspection',
  start_refunding: 'be refunded',
  retry: 'be retried',
  succeed: 'be marked succeeded',
  succeed_after_failure: 'be marked succeeded',
  fail: 'be marked failed',
  record_outside: 'be recorded as refunded outside Ebb',
};
const describe = (status: RefundStatus, action: RefundAction) => `${/^[aeiou]/.test(status) ? 'An' : 'A'} ${status} refund cannot ${CANNOT[action]}.`;
