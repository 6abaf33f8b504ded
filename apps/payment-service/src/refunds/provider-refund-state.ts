import { StateMachine } from '@ebb/state-machine';

/**
 * requested: recorded, not yet sent; calling: being sent (a crash here re-sends with the same key);
 * pending: the provider has it; succeeded/failed: settled. An operator's retry moves failed → requested.
 */
export type ProviderRefundStatus = 'requested' | 'calling' | 'pending' | 'succeeded' | 'failed';

// a webhook may settle a refund before the dispatcher has recorded the provider's answer (calling → succeeded)
export const providerRefundStates = new StateMachine<ProviderRefundStatus>('provider refund', {
  requested: { to: ['calling', 'failed'] },
  calling: { to: ['pending', 'succeeded', 'failed'] },
  pending: { to: ['succeeded', 'failed'] },
  failed: { to: ['requested'] },
  succeeded: { to: [] },
});
