import { IllegalTransitionError } from '@ebb/state-machine';
import { orderMachine } from '../src/orders/order-state';

describe('the order lifecycle table', () => {
  const placed = orderMachine.initial;
  const paid = orderMachine.transition(placed, 'capture');

  it('starts an order awaiting payment and opens it on capture', () => {
    expect(placed).toEqual({ status: 'pending_payment', paymentStatus: 'pending', fulfillmentStatus: 'unfulfilled' });
    expect(paid).toEqual({ status: 'open', paymentStatus: 'captured', fulfillmentStatus: 'unfulfilled' });
    expect(orderMachine.nextActions(placed).sort()).toEqual(['cancel', 'capture']);
  });

  it('ships only a captured order and refuses with an error naming the action and the state', () => {
    expect(() => orderMachine.transition(placed, 'ship')).toThrow(IllegalTransitionError);
    expect(() => orderMachine.transition(placed, 'ship')).toThrow(/cannot ship from .*pending_payment/);
    const refunded = orderMachine.transition(paid, 'refund_fully');
    expect(orderMachine.can(refunded, 'ship')).toBe(false);
    const shipped = orderMachine.transition(orderMachine.transition(paid, 'refund_partially'), 'ship');
    expect(shipped).toMatchObject({ paymentStatus: 'partially_refunded', fulfillmentStatus: 'shipped' });
  });

  it('never cancels an order once paid, but still records money taken for a cancelled one', () => {
    expect(orderMachine.can(paid, 'cancel')).toBe(false);
    const cancelled = orderMachine.transition(placed, 'cancel');
    expect(orderMachine.transition(cancelled, 'capture_after_cancel')).toEqual({ status: 'cancelled', paymentStatus: 'captured', fulfillmentStatus: 'unfulfilled' });
  });

  it('has every action move each status along its own table', () => {
    // a refund of a delivered order moves only the payment status; a partial refund may repeat
    const delivered = orderMachine.transition(orderMachine.transition(paid, 'ship'), 'deliver');
    expect(delivered).toEqual({ status: 'completed', paymentStatus: 'captured', fulfillmentStatus: 'delivered' });
    const partly = orderMachine.transition(delivered, 'refund_partially');
    expect(orderMachine.transition(partly, 'refund_partially')).toEqual(partly);
    expect(orderMachine.transition(partly, 'refund_fully')).toMatchObject({ status: 'completed', paymentStatus: 'refunded' });
    expect(orderMachine.dimensions.paymentStatus.isFinal('refunded')).toBe(true);
  });
});
