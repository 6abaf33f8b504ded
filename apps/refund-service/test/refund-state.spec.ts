import { ServiceIdentity } from '@ebb/http';
import { StateMachine } from '@ebb/state-machine';
import { REFUND_ACTIONS, REFUND_STATUSES, REFUND_TRANSITIONS, refundStateMachine } from '../src/refunds/refund-state';
import { OrderQueryClient } from '../src/orders/order-query.client';

describe('the refund state machine', () => {
  it('has a row for every api-v1 status, and only succeeded, rejected and cancelled are final', () => {
    expect(Object.keys(REFUND_TRANSITIONS).sort()).toEqual([...REFUND_STATUSES].sort());
    expect(REFUND_STATUSES.filter((status) => refundStateMachine.isFinal(status)).sort()).toEqual(['cancelled', 'rejected', 'succeeded']);
  });

  it('follows the lifecycle: approve, refund, settle, retry a failure', () => {
    expect(refundStateMachine.transition('pending_review', 'approve')).toBe('approved');
    expect(refundStateMachine.transition('approved', 'start_refunding')).toBe('refunding');
    expect(refundStateMachine.transition('refunding', 'fail')).toBe('failed');
    expect(refundStateMachine.transition('failed', 'retry')).toBe('refunding');
    expect(refundStateMachine.transition('refunding', 'succeed')).toBe('succeeded');
  });

  it('refuses an action the status does not allow, naming the status and the action', () => {
    expect(() => refundStateMachine.transition('refunding', 'cancel')).toThrow(expect.objectContaining({ from: 'refunding', action: 'cancel' }));
    expect(() => refundStateMachine.transition('succeeded', 'approve')).toThrow('cannot approve from succeeded');
    expect(refundStateMachine.can('requested', 'reject')).toBe(false);
    expect(refundStateMachine.can('approved', 'retry')).toBe(false);
  });

  it('refuses at start a table whose action leads where the transitions do not go', () => {
    expect(
      () =>
        new StateMachine('broken', REFUND_TRANSITIONS, {
          ...REFUND_ACTIONS,
          cancel: { from: ['refunding'], to: 'cancelled' },
        }),
    ).toThrow('cancel: refunding → cancelled is not in the transition table');
  });
});

describe('the OrderQuery client', () => {
  it('answers 503 order_service_unavailable when order-service does not answer within its deadline', async () => {
    const client = new OrderQueryClient('127.0.0.1:1', 500, new ServiceIdentity('refunds', 'a-service-secret'));
    const started = Date.now();
    await expect(client.getOrder('ord_1')).rejects.toMatchObject({ status: 503, code: 'order_service_unavailable' });
    expect(Date.now() - started).toBeLessThan(3000);
    client.close();
  });
});
