import type { DomainEvent, RefundSnapshot } from '@ebb/contracts';
import { IllegalTransitionError } from '@ebb/state-machine';
import type { RefundEntity } from './refund.entity';
import { RefundErrorCode, refundError } from './refund.errors';
import { refundProcessSeconds, refundsTotal } from './refund.metrics';
import { type RefundAction, type RefundStatus, refundStateMachine } from './refund-state';

/** Outcomes counted by `refunds_total`. */
const COUNTED: readonly RefundStatus[] = ['succeeded', 'failed', 'rejected', 'cancelled'];

/** The payload every refund event carries: the refund as it stands after the transition. */
export function refundSnapshot(refund: RefundEntity, note?: string): RefundSnapshot {
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
  };
}

/**
 * The only way a refund's status changes: the machine decides the next status, and the history
 * entry and the `refund.<status>` event come with it. The caller saves the refund and writes the
 * event to the outbox in one transaction. An action the status does not allow is 409
 * `invalid_refund_transition` with `{from, action}`, and the refund is left untouched.
 */
export function applyRefundAction(
  refund: RefundEntity,
  action: RefundAction,
  actor: string,
  options: { note?: string; at?: Date; change?: (refund: RefundEntity) => void } = {},
): DomainEvent<RefundSnapshot> {
  let next: RefundStatus;
  try {
    next = refundStateMachine.transition(refund.status, action);
  } catch (error) {
    if (!(error instanceof IllegalTransitionError)) throw error;
    throw refundError(RefundErrorCode.InvalidRefundTransition, describe(refund.status, action), {
      from: refund.status,
      action,
    });
  }
  const at = options.at ?? new Date();
  options.change?.(refund);
  refund.status = next;
  refund.history = [...refund.history, { status: next, at: at.toISOString(), actor, ...(options.note ? { note: options.note } : {}) }];
  refund.updatedAt = at;
  if (COUNTED.includes(next)) refundsTotal.inc({ outcome: next });
  if (refundStateMachine.isFinal(next)) refundProcessSeconds.observe({ outcome: next }, (at.getTime() - refund.createdAt.getTime()) / 1000);
  return { type: `refund.${next}`, payload: refundSnapshot(refund, options.note) };
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
  fail: 'be marked failed',
};
const describe = (status: RefundStatus, action: RefundAction) => `${/^[aeiou]/.test(status) ? 'An' : 'A'} ${status} refund cannot ${CANNOT[action]}.`;
