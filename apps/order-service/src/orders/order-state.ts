import { CompositeMachine, StateMachine } from '@ebb/state-machine';

export const ORDER_STATUSES = ['pending_payment', 'open', 'completed', 'cancelled'] as const;
export const PAYMENT_STATUSES = ['pending', 'captured', 'partially_refunded', 'refunded'] as const;
export const FULFILLMENT_STATUSES = ['unfulfilled', 'shipped', 'delivered', 'returned'] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
export type FulfillmentStatus = (typeof FULFILLMENT_STATUSES)[number];

/** The three statuses of api-v1's order, moved together by one machine. */
export type OrderState = {
  status: OrderStatus;
  paymentStatus: PaymentStatus;
  fulfillmentStatus: FulfillmentStatus;
};

export type OrderAction = 'capture' | 'capture_after_cancel' | 'cancel' | 'ship' | 'deliver' | 'refund_partially' | 'refund_fully' | 'return';

/** Money still held: the order may ship and take refunds. */
const HOLDS_MONEY: PaymentStatus[] = ['captured', 'partially_refunded'];

/**
 * Each status's own lifecycle. A refund leaves the payment status where it is or moves it on; a
 * cancelled order may still learn that the provider took its money (`capture_after_cancel`).
 */
const orderStatuses = new StateMachine<OrderStatus>('order status', {
  pending_payment: { to: ['open', 'cancelled'] },
  open: { to: ['completed'] },
  completed: { to: [] },
  cancelled: { to: [] },
});
const paymentStatuses = new StateMachine<PaymentStatus>('order payment status', {
  pending: { to: ['captured'] },
  captured: { to: ['partially_refunded', 'refunded'] },
  partially_refunded: { to: ['refunded'] },
  refunded: { to: [] },
});
const fulfillmentStatuses = new StateMachine<FulfillmentStatus>('order fulfillment status', {
  unfulfilled: { to: ['shipped'] },
  shipped: { to: ['delivered', 'returned'] },
  delivered: { to: ['returned'] },
  returned: { to: [] },
});

/**
 * The order lifecycle. Refunds move only the payment status, so a delivered order can still take
 * the refund of a returned parcel; only a captured (not fully refunded) open order ships.
 */
export const orderMachine = new CompositeMachine<OrderState, OrderAction>(
  'order',
  { status: orderStatuses, paymentStatus: paymentStatuses, fulfillmentStatus: fulfillmentStatuses },
  { status: 'pending_payment', paymentStatus: 'pending', fulfillmentStatus: 'unfulfilled' },
  {
    capture: { from: { status: ['pending_payment'], paymentStatus: ['pending'] }, to: { status: 'open', paymentStatus: 'captured' } },
    // the provider took the money of an order already cancelled: record it so it can be refunded
    capture_after_cancel: { from: { status: ['cancelled'], paymentStatus: ['pending'] }, to: { paymentStatus: 'captured' } },
    cancel: { from: { status: ['pending_payment'], paymentStatus: ['pending'] }, to: { status: 'cancelled' } },
    ship: {
      from: { status: ['open'], paymentStatus: HOLDS_MONEY, fulfillmentStatus: ['unfulfilled'] },
      to: { fulfillmentStatus: 'shipped' },
    },
    deliver: { from: { status: ['open'], fulfillmentStatus: ['shipped'] }, to: { status: 'completed', fulfillmentStatus: 'delivered' } },
    refund_partially: { from: { paymentStatus: HOLDS_MONEY }, to: { paymentStatus: 'partially_refunded' } },
    refund_fully: { from: { paymentStatus: HOLDS_MONEY }, to: { paymentStatus: 'refunded' } },
    // every line that shipped came back (stopped in transit, or returned and refunded)
    return: { from: { fulfillmentStatus: ['shipped', 'delivered'] }, to: { fulfillmentStatus: 'returned' } },
  },
);
