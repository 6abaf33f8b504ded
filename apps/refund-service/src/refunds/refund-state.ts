import { type ActionTable, StateMachine, type TransitionTable } from '@ebb/state-machine';

/** The statuses of api-v1. */
export const REFUND_STATUSES = [
  'requested',
  'pending_review',
  'approved',
  'intercepting',
  'awaiting_return',
  'inspecting',
  'refunding',
  'succeeded',
  'failed',
  'rejected',
  'cancelled',
] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

/** The lifecycle of architecture.md as data; final states go nowhere (`failed` waits for an operator). */
export const REFUND_TRANSITIONS: TransitionTable<RefundStatus> = {
  requested: { to: ['pending_review', 'approved', 'cancelled'] },
  pending_review: { to: ['approved', 'rejected', 'cancelled'] },
  approved: { to: ['refunding', 'intercepting', 'awaiting_return', 'cancelled'] },
  intercepting: { to: ['refunding', 'awaiting_return', 'cancelled'] },
  awaiting_return: { to: ['inspecting', 'cancelled'] },
  inspecting: { to: ['refunding', 'rejected'] },
  refunding: { to: ['succeeded', 'failed'] },
  // the provider's success is the truth even after it first reported a failure
  failed: { to: ['refunding', 'succeeded'] },
  succeeded: { to: [] },
  rejected: { to: [] },
  cancelled: { to: [] },
};

/** What people and events do to a refund; the names appear in `invalid_refund_transition` details. */
export type RefundAction =
  | 'review'
  | 'approve'
  | 'reject'
  | 'cancel'
  | 'intercept'
  | 'await_return'
  | 'receive_return'
  | 'pass_inspection'
  | 'fail_inspection'
  | 'start_refunding'
  | 'retry'
  | 'succeed'
  | 'fail';

export const REFUND_ACTIONS: ActionTable<RefundStatus, RefundAction> = {
  review: { from: ['requested'], to: 'pending_review' },
  approve: { from: ['requested', 'pending_review'], to: 'approved' },
  reject: { from: ['pending_review'], to: 'rejected' },
  // once the provider has been asked, only its answer ends the refund
  cancel: { from: ['requested', 'pending_review', 'approved', 'intercepting', 'awaiting_return'], to: 'cancelled' },
  // a parcel in transit: ask the carrier to stop it; delivered (or too late to stop): wait for the return
  intercept: { from: ['approved'], to: 'intercepting' },
  await_return: { from: ['approved', 'intercepting'], to: 'awaiting_return' },
  receive_return: { from: ['awaiting_return'], to: 'inspecting' },
  pass_inspection: { from: ['inspecting'], to: 'refunding' },
  fail_inspection: { from: ['inspecting'], to: 'rejected' },
  // not shipped, or the parcel was intercepted: the money goes back now
  start_refunding: { from: ['approved', 'intercepting'], to: 'refunding' },
  retry: { from: ['failed'], to: 'refunding' },
  succeed: { from: ['refunding', 'failed'], to: 'succeeded' },
  fail: { from: ['refunding'], to: 'failed' },
};

/** States whose amount no longer counts against what the order can still refund. */
export const RELEASED_STATUSES: readonly RefundStatus[] = ['failed', 'rejected', 'cancelled'];

/** Built (and so checked) when the module loads: a broken table stops the service at start. */
export const refundStateMachine = new StateMachine<RefundStatus, RefundAction>('refund', REFUND_TRANSITIONS, REFUND_ACTIONS);
