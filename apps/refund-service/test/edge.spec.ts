import { DataSource } from 'typeorm';
import { type TestApp, tokenFor } from '@ebb/testing';
import { type RefundTestBed, capturedOrder, openRefundTestBed } from './refund-test-kit';

/** refund-service's edge as a caller meets it: write limits shared by its replicas. */
describe('refund-service edge', () => {
  let bed: RefundTestBed;
  let second: TestApp;
  let orderCount = 0;

  beforeAll(async () => {
    bed = await openRefundTestBed('edge', { RATE_LIMIT_CUSTOMER_WRITES: '3', RATE_LIMIT_WINDOW_SECONDS: '30' });
    second = await bed.replica();
  });
  afterAll(async () => {
    await bed?.close();
  });

  const newOrder = (customerId: string) => {
    const order = capturedOrder(`ord_${bed.suffix}_${++orderCount}`, { customerId });
    bed.orders.set(order.id, order);
    return order;
  };
  const requestRefund = (replica: TestApp, customerId: string, amount = 100) =>
    fetch(`${replica.url}/v1/refunds`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokenFor('customer', customerId)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ orderId: newOrder(customerId).id, amount, reason: 'requested_by_customer' }),
    });
  const refundCount = async () => (await bed.app.app.get(DataSource).query('SELECT count(*)::int AS n FROM refunds'))[0].n as number;

  it('answers a burst from one customer with 429 and Retry-After on either replica, while another customer is served', async () => {
    const served = [];
    for (const replica of [bed.app, second, bed.app]) served.push((await requestRefund(replica, 'cus_burst')).status);
    expect(served).toEqual([201, 201, 201]);

    const before = await refundCount();
    for (const replica of [second, bed.app]) {
      const refused = await requestRefund(replica, 'cus_burst');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('too_many_requests');
    }
    expect(await refundCount()).toBe(before);

    const neighbour = await requestRefund(second, 'cus_calm');
    expect(neighbour.status).toBe(201);
    // the burster can still read its refunds
    const list = await fetch(`${bed.app.url}/v1/refunds?orderId=ord_${bed.suffix}_1`, { headers: { Authorization: `Bearer ${tokenFor('customer', 'cus_burst')}` } });
    expect(list.status).toBe(200);
  });
});
