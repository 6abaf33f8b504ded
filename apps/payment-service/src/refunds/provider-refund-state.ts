import { StateMachine } from '@ebb/state-machine';

/**
 * requested: recorded, being sent (an outbound call, with the idempotency key `<refundId>:<attempt>`);
 * pending: the provider has it; succeeded/failed: settled; outcome_unknown: every attempt's outcome
 * stayed unknown and no look-up settled it — parked for an operator, alerted on.
 */
export const PROVIDER_REFUND_STATUSES = ['requested', 'pending', 'succeeded', 'failed', 'outcome_unknown'] as const;
export type ProviderRefundStatus = (typeof PROVIDER_REFUND_STATUSES)[number];

export type ProviderRefundAction = 'accept' | 'succeed' | 'fail' | 'lose_track' | 'resend';

/**
 * The provider refund lifecycle as one action table (transitions derived). A webhook may settle a
 * refund before its call's answer is recorded (requested → succeeded); the provider's word, or an
 * operator's, settles one whose outcome was unknown.
 */
export const providerRefundMachine = StateMachine.fromActions<ProviderRefundStatus, ProviderRefundAction>('provider refund', PROVIDER_REFUND_STATUSES, {
  accept: { from: ['requested'], to: 'pending' },
  succeed: { from: ['requested', 'pending', 'outcome_unknown'], to: 'succeeded' },
  fail: { from: ['requested', 'pending', 'outcome_unknown'], to: 'failed' },
  lose_track: { from: ['requested'], to: 'outcome_unknown' },
  // refund-service sends a failed refund again: a new attempt, a new idempotency key
  resend: { from: ['failed'], to: 'requested' },
});

/** The action a provider's report of a status stands for. */
export const ACTION_FOR_REPORT = { pending: 'accept', succeeded: 'succeed', failed: 'fail' } as const satisfies Record<string, ProviderRefundAction>;
