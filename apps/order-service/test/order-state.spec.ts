import { IllegalTransitionError, StateMachine } from '../src/state-machine/state-machine';
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

  it('refuses at start a table that names a state no dimension knows', () => {
    expect(
      () => new StateMachine<{ status: 'a' | 'b' }, 'go'>('broken', { status: ['a', 'b'] }, { status: 'a' }, { go: { from: { status: ['a'] }, to: { status: 'c' as 'b' } } }),
    ).toThrow(/go leads to unknown status c/);
  });
});
