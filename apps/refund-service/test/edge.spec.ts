import { DataSource } from 'typeorm';
import { type TestApp, tokenFor } from '@ebb/testing';
import { type RefundTestBed, capturedOrder, openRefundTestBed } from './refund-test-kit';

/** refund-service's edge as a caller and a security reviewer meet it: write limits shared by its replicas, the audit of staff actions. */
describe('refund-service edge', () => {
  let bed: RefundTestBed;
  let second: TestApp;
  let orderCount = 0;

  beforeAll(async () => {
    // 40 in the order's currency: a whole order of 5500 waits for a person
    bed = await openRefundTestBed('edge', { RATE_LIMIT_CUSTOMER_WRITES: '3', RATE_LIMIT_WINDOW_SECONDS: '30', REFUND_MAX_AUTO_AMOUNT: '40' });
    second = await bed.replica();
  });
  afterAll(async () => {
    await bed?.close();
  });

  const newOrder = (customerId: string, overrides: Parameters<typeof capturedOrder>[1] = {}) => {
    const order = capturedOrder(`ord_${bed.suffix}_${++orderCount}`, { customerId, ...overrides });
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

  describe('the audit log', () => {
    const support = tokenFor('support', 'agent_audit');
    const admin = tokenFor('admin', 'ops_audit');
    const call = async (method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(`${bed.app.url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json().catch(() => null)) as any };
    };
    const audit = async (query: string) => {
      const answer = await call('GET', `/v1/admin/audit?${query}`, admin);
      expect(answer.status).toBe(200);
      return answer.body.items as Array<Record<string, unknown>>;
    };

    it("records every support and admin action with actor, time, target and outcome, and serves it to admin only", async () => {
      const started = new Date().toISOString();
      // a whole order above the limit waits for a person: one approved (twice, the second refused), one rejected
      const toApprove = newOrder('cus_audit1');
      const waiting = await call('POST', '/v1/refunds', support, { orderId: toApprove.id, reason: 'damaged', initiator: 'support' });
      expect([waiting.status, waiting.body.status]).toEqual([201, 'pending_review']);
      const approveOnce = { 'Idempotency-Key': `approve-${waiting.body.id}` };
      expect((await call('POST', `/v1/refunds/${waiting.body.id}/approve`, support, { note: 'photos seen' }, approveOnce)).status).toBe(200);
      // the same request again, answered from its key; then a new one, refused by the lifecycle
      expect((await call('POST', `/v1/refunds/${waiting.body.id}/approve`, support, { note: 'photos seen' }, approveOnce)).status).toBe(200);
      expect((await call('POST', `/v1/refunds/${waiting.body.id}/approve`, support, {})).status).toBe(409);

      const toReject = newOrder('cus_audit2');
      const second = await call('POST', '/v1/refunds', support, { orderId: toReject.id, reason: 'other', initiator: 'support' });
      expect((await call('POST', `/v1/refunds/${second.body.id}/reject`, support, { reason: 'outside policy' })).status).toBe(200);

      // a delivered order's return: received, then inspected
      const delivered = newOrder('cus_audit3', { fulfillmentStatus: 'delivered', carrier: 'dhl', trackingNumber: 'TRK-AUDIT', deliveredAt: new Date().toISOString() });
      const returned = await call('POST', '/v1/refunds', support, { orderId: delivered.id, amount: 1000, reason: 'not_as_described', initiator: 'support' });
      expect(returned.body.status).toBe('awaiting_return');
      expect((await call('POST', `/v1/refunds/${returned.body.id}/return-received`, support)).status).toBe(200);
      expect((await call('POST', `/v1/refunds/${returned.body.id}/inspection`, support, { result: 'failed', note: 'worn' })).status).toBe(200);

      // an admin's policy change
      expect((await call('PUT', '/v1/refund-policies/sellers/sel_audit', admin, { windowDays: 14 })).status).toBe(200);

      const mine = await audit(`actor=agent_audit&after=${encodeURIComponent(started)}`);
      expect(mine.map((entry) => [entry.action, entry.target, entry.outcome, entry.status, entry.code])).toEqual([
        ['POST /v1/refunds', waiting.body.id, 'succeeded', 201, null],
        ['POST /v1/refunds/:id/approve', waiting.body.id, 'succeeded', 200, null],
        ['POST /v1/refunds/:id/approve', waiting.body.id, 'replayed', 200, null],
        ['POST /v1/refunds/:id/approve', waiting.body.id, 'refused', 409, 'invalid_refund_transition'],
        ['POST /v1/refunds', second.body.id, 'succeeded', 201, null],
        ['POST /v1/refunds/:id/reject', second.body.id, 'succeeded', 200, null],
        ['POST /v1/refunds', returned.body.id, 'succeeded', 201, null],
        ['POST /v1/refunds/:id/return-received', returned.body.id, 'succeeded', 200, null],
        ['POST /v1/refunds/:id/inspection', returned.body.id, 'succeeded', 200, null],
      ]);
      for (const entry of mine) {
        expect(entry).toMatchObject({ actor: 'agent_audit', role: 'support' });
        expect(Date.parse(entry.at as string)).toBeGreaterThanOrEqual(Date.parse(started));
        expect(Date.parse(entry.endedAt as string)).toBeGreaterThanOrEqual(Date.parse(entry.at as string));
      }
      expect((await audit(`actor=ops_audit`)).map((entry) => [entry.action, entry.target, entry.outcome])).toEqual([
        ['PUT /v1/refund-policies/sellers/:sellerId', 'sel_audit', 'succeeded'],
      ]);
      // by target, across actors; paged
      expect((await audit(`target=${waiting.body.id}`)).length).toBe(4);
      const page = await call('GET', `/v1/admin/audit?actor=agent_audit&limit=5`, admin);
      expect(page.body.items).toHaveLength(5);
      const rest = await call('GET', `/v1/admin/audit?actor=agent_audit&limit=5&cursor=${page.body.nextCursor}`, admin);
      expect(rest.body.items.map((entry: { id: string }) => entry.id)).toEqual(mine.slice(5).map((entry) => entry.id));

      // a path the caller filled with a NUL is refused before anything, the audit included, writes it (PostgreSQL's text cannot hold it)
      const before = (await audit(`actor=agent_audit&after=${encodeURIComponent(started)}`)).length;
      const nul = await call('POST', '/v1/refunds/%00/approve', support, {});
      expect({ status: nul.status, code: nul.body.error.code }).toEqual({ status: 400, code: 'validation_error' });
      expect(await audit(`actor=agent_audit&after=${encodeURIComponent(started)}`)).toHaveLength(before);

      // a customer's own writes are not staff actions; nobody but admin reads the log
      expect(await audit('actor=cus_burst')).toEqual([]);
      expect((await call('GET', '/v1/admin/audit', support)).status).toBe(403);
      expect((await call('GET', '/v1/admin/audit', tokenFor('customer', 'cus_audit1'))).status).toBe(403);
      expect((await call('GET', '/v1/admin/audit?after=yesterday', admin)).body.error.code).toBe('validation_error');
    });
  });
});
