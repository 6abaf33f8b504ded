import { StateMachine } from '@ebb/state-machine';

export const PAYMENT_STATUSES = ['pending', 'succeeded', 'failed', 'canceled'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export type PaymentAction = 'succeed' | 'fail' | 'cancel' | 'capture_unwanted';

/**
 * The payment lifecycle as one action table (transitions derived). A failed attempt may still
 * succeed (the customer confirms again with another card); success is final, so a late
 * payment_failed can never undo a capture; money that arrives for a payment Ebb cancelled is
 * recorded as captured all the same (`capture_unwanted`), to be refunded.
 */
export const paymentMachine = StateMachine.fromActions<PaymentStatus, PaymentAction>('payment', PAYMENT_STATUSES, {
  succeed: { from: ['pending', 'failed'], to: 'succeeded' },
  fail: { from: ['pending'], to: 'failed' },
  cancel: { from: ['pending', 'failed'], to: 'canceled' },
  capture_unwanted: { from: ['canceled'], to: 'succeeded' },
});

/** Payments still in flight: the one an order may have (confirmable again when failed). */
export const OPEN_PAYMENT_STATUSES: readonly PaymentStatus[] = ['pending', 'failed'];
