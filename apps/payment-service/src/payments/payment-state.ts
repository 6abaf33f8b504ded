import { StateMachine } from '@ebb/state-machine';

export type PaymentStatus = 'pending' | 'succeeded' | 'failed' | 'canceled';

// a failed attempt may still succeed (the customer confirms again with another card); success is final,
// so a late payment_failed can never undo a capture
export const paymentStates = new StateMachine<PaymentStatus>('payment', {
  pending: { to: ['succeeded', 'failed', 'canceled'] },
  failed: { to: ['succeeded', 'canceled'] },
  succeeded: { to: [] },
  canceled: { to: [] },
});
