import { REFUND_STATUSES, type RefundStatus } from '@ebb/contracts';
import { type ActionTable, StateMachine } from '@ebb/state-machine';

// the statuses of api-v1, shared with every service through the refund events
export { REFUND_STATUSES, type RefundStatus } from '@ebb/contracts';

/** What people, events and the outside world do to a refund; the names appear in `invalid_refund_transition` details. */
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
  | 'succeed_after_failure'
  | 'fail'
  | 'record_outside';

/**
 * What an action does to the order's refund ledger: `commit` counts the refund's amount against what
 * the order can still refund, `release` gives it back. Creating a refund commits its amount.
 */
export type LedgerEffect = 'commit' | 'release';

type RefundRule = { from: readonly RefundStatus[]; to: RefundStatus; ledger?: LedgerEffect };

/**
 * The lifecycle of architecture.md as one table: each action, the statuses it starts from, where it
 * leads and what it does to the ledger. The transitions are derived from it; applying an action
 * (refund-lifecycle.ts) is the only place a refund's status or its ledger money moves.
 */
export const REFUND_ACTIONS = {
  review: { from: ['requested'], to: 'pending_review' },
  approve: { from: ['requested', 'pending_review'], to: 'approved' },
  reject: { from: ['pending_review'], to: 'rejected', ledger: 'release' },
  // once the provider has been asked, only its answer ends the refund; while the carrier is asked to
  // stop the parcel, neither (it may be stopped already: RefundActions answers a temporary refusal)
  cancel: { from: ['requested', 'pending_review', 'approved', 'awaiting_return'], to: 'cancelled', ledger: 'release' },
  // a parcel in transit: ask the carrier to stop it; delivered (or too late to stop): wait for the return
  intercept: { from: ['approved'], to: 'intercepting' },
  await_return: { from: ['approved', 'intercepting'], to: 'awaiting_return' },
  receive_return: { from: ['awaiting_return'], to: 'inspecting' },
  pass_inspection: { from: ['inspecting'], to: 'refunding' },
  fail_inspection: { from: ['inspecting'], to: 'rejected', ledger: 'release' },
  // the goods never left (and are held back from shipping), or the parcel was stopped: the money goes back now
  start_refunding: { from: ['approved', 'intercepting'], to: 'refunding' },
  // an operator sends a failed refund again: its amount counts again
  retry: { from: ['failed'], to: 'refunding', ledger: 'commit' },
  succeed: { from: ['refunding'], to: 'succeeded' },
  // the provider's success is the truth even after it first reported a failure, which gave the amount back
  succeed_after_failure: { from: ['failed'], to: 'succeeded', ledger: 'commit' },
  fail: { from: ['refunding'], to: 'failed', ledger: 'release' },
  // money the provider gave back outside Ebb (its dashboard): recorded as it is, a refund that succeeded (its opening committed the amount)
  record_outside: { from: ['requested'], to: 'succeeded' },
} as const satisfies Record<RefundAction, RefundRule>;

export const REFUND_ACTION_TABLE: ActionTable<RefundStatus, RefundAction> = REFUND_ACTIONS;

/** What each action does to the ledger, if anything. */
export const ledgerEffectOf = (action: RefundAction): LedgerEffect | undefined => (REFUND_ACTIONS[action] as RefundRule).ledger;

/** States whose amount no longer counts against what the order can still refund (the ledger released it). */
export const RELEASED_STATUSES: readonly RefundStatus[] = ['failed', 'rejected', 'cancelled'];

/** Built (and so checked) when the module loads: a broken table stops the service at start. */
export const refundStateMachine = StateMachine.fromActions<RefundStatus, RefundAction>('refund', REFUND_STATUSES, REFUND_ACTION_TABLE);

/** The transition table, derived from the actions. */
export const REFUND_TRANSITIONS = Object.fromEntries(REFUND_STATUSES.map((status) => [status, { to: refundStateMachine.nextStates(status) }])) as {
  [status in RefundStatus]: { to: readonly RefundStatus[] };
};
