import { StateMachine } from '../state-machine';

/**
 * requested: recorded, not yet sent; calling: being sent (a crash here re-sends with the same key);
 * pending: the provider has it; succeeded/failed: settled. An operator's retry moves failed → requested.
 */
export type ProviderRefundStatus = 'requested' | 'calling' | 'pending' | 'succeeded' | 'failed';

// a webhook may settle a refund before the dispatcher has recorded the provider's answer (calling → succeeded)
export const providerRefundStates = new StateMachine<ProviderRefundStatus>('provider refund', {
  requested: ['calling', 'failed'],
  calling: ['pending', 'succeeded', 'failed'],
  pending: ['succeeded', 'failed'],
  failed: ['requested'],
  succeeded: [],
});
