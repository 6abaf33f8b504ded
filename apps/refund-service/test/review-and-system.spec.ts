import { DataSource } from 'typeorm';
import { tokenFor, waitFor } from '@ebb/testing';
import { type RefundTestBed, capturedOrder, openRefundTestBed } from './refund-test-kit';

const json = async (response: Response): Promise<any> => response.json();

describe('refund-service: a seller’s review, the first-decision promise, the customer’s own view, and the refunds the system starts', () => {
  let bed: RefundTestBed;
  let orderCount = 0;
  const alice = tokenFor('customer', 'cus_alice');
  const bob = tokenFor('customer', 'cus_bob');
  const support = tokenFor('support', 'agent_sam');
  const admin = tokenFor('admin', 'ops_ann');
  const manualSeller = `sel_manual`;

  beforeAll(async () => {
    // 40 in the order's currency; a manual review waits ~3.6 s, the first-decision promise ~7.2 s
    bed = await openRefundTestBed('review', { REFUND_MAX_AUTO_AMOUNT: '40', REFUND_AUTO_APPROVE_HOURS: '0.001', REFUND_SLA_HOURS: '0.002' });
    const put = await call('PUT', `/v1/refund-policies/sellers/${manualSeller}`, admin, { windowDays: 30, review: 'manual' });
    expect(put.status).toBe(200);
  });
  afterAll(async () => {
    await bed?.close();
  });

  const newOrder = (overrides: Parameters<typeof capturedOrder>[1] = {}) => {
    const order = capturedOrder(`ord_${bed.suffix}_${++orderCount}`, overrides);
    bed.orders.set(order.id, order);
    return order;
  };
  const call = (method: string, path: string, token?: string, body?: unknown) =>
    fetch(`${bed.app.url}${path}`, {
      method,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const requestRefund = async (body: object, token = alice) => {
    const response = await call('POST', '/v1/refunds', token, body);
    expect(response.status).toBe(201);
    return json(response);
  };
  const getRefund = async (id: string) => json(await call('GET', `/v1/refunds/${id}`, support));
  const db = () => bed.app.app.get(DataSource);
  const systemRefunds = async (orderId: string) => db().query(`SELECT id, amount::int, reason, cause, goods, status FROM refunds WHERE order_id = $1 AND initiator = 'system'`, [orderId]);
  const metric = async (name: string) => {
    const text = await (await call('GET', '/metrics')).text();
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
    return match ? Number(match[1]) : undefined;
  };

  it('stores a seller’s review with its window, keeps it when a later PUT leaves it out, and refuses one it does not know', async () => {
    const sellerId = `sel_${bed.suffix}_review`;
    expect(await json(await call('PUT', `/v1/refund-policies/sellers/${sellerId}`, admin, { windowDays: 14 }))).toMatchObject({ review: 'automatic' });
    expect(await json(await call('PUT', `/v1/refund-policies/sellers/${sellerId}`, admin, { windowDays: 14, review: 'manual' }))).toMatchObject({ review: 'manual' });
    expect(await json(await call('PUT', `/v1/refund-policies/sellers/${sellerId}`, admin, { windowDays: 21 }))).toMatchObject({ windowDays: 21, review: 'manual' });
    expect(await json(await call('GET', `/v1/refund-policies/sellers/${sellerId}`, support))).toMatchObject({ sellerId, windowDays: 21, review: 'manual' });
    const bad = await call('PUT', `/v1/refund-policies/sellers/${sellerId}`, admin, { windowDays: 14, review: 'sometimes' });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toMatchObject({ code: 'validation_error', details: [{ field: 'review' }] });
  });

  it('keeps a manual seller’s refunds waiting, oldest first in the queue with their age, and approves one nobody decided once, by system, with a note; above the limit a person must decide', async () => {
    const small = newOrder({ sellerId: manualSeller });
    const large = newOrder({ sellerId: manualSeller });
    const decided = newOrder({ sellerId: manualSeller });
    const waiting = await requestRefund({ orderId: small.id, amount: 1000, reason: 'damaged' });
    const above = await requestRefund({ orderId: large.id, amount: 4500, reason: 'damaged' });
    const early = await requestRefund({ orderId: decided.id, amount: 500, reason: 'damaged' });
    expect(waiting).toMatchObject({ status: 'pending_review' });
    expect(waiting.history.at(-1)).toMatchObject({ status: 'pending_review', actor: 'system', note: expect.stringContaining('the seller reviews refunds') });
    expect(above.history.at(-1).note).toContain('above the automatic approval limit');
    // the events tell notification-service to write to the seller, and until when it has to decide
    const told = (id: string) => waitFor(() => bed.events.find((event) => event.type === 'refund.pending_review' && event.payload.refundId === id), { what: `refund.pending_review of ${id}` });
    expect((await told(waiting.id)).payload).toMatchObject({ sellerId: manualSeller, sellerReview: true, autoApproveAt: expect.any(String) });
    expect((await told(above.id)).payload).toMatchObject({ sellerId: manualSeller, sellerReview: true });
    expect((await told(above.id)).payload.autoApproveAt).toBeUndefined();
    // support decides one before its time: the timer leaves it alone
    expect((await call('POST', `/v1/refunds/${early.id}/reject`, support, { reason: 'not eligible' })).status).toBe(200);

    const queue = await json(await call('GET', '/v1/refunds?status=pending_review&limit=1', support));
    const ours = async () => {
      const all: any[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await json(await call('GET', `/v1/refunds?status=pending_review&limit=1${cursor ? `&cursor=${cursor}` : ''}`, support));
        all.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return all.filter((item) => [waiting.id, above.id].includes(item.id));
    };
    expect(queue.items).toHaveLength(1);
    expect(queue.nextCursor).toEqual(expect.any(String));
    const listed = await ours();
    expect(listed.map((item) => item.id)).toEqual([waiting.id, above.id]);
    expect(listed[0]).toMatchObject({ ageSeconds: expect.any(Number), autoApproveAt: expect.any(String) });
    expect(Date.parse(listed[0].autoApproveAt) - Date.parse(waiting.createdAt)).toBe(3600);
    expect(listed[1].autoApproveAt).toBeNull();
    const bad = await call('GET', '/v1/refunds?status=pending_review&cursor=not-a-cursor', support);
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toMatchObject({ code: 'validation_error', details: [{ field: 'cursor' }] });
    expect((await call('GET', '/v1/refunds?limit=201', support)).status).toBe(400);

    const approved = await waitFor(async () => {
      const refund = await getRefund(waiting.id);
      return refund.status !== 'pending_review' && refund;
    }, { what: 'the automatic approval' });
    expect(approved.history.filter((entry: { status: string }) => entry.status === 'approved')).toEqual([
      { status: 'approved', at: expect.any(String), actor: 'system', note: 'not reviewed within 0.001 hours: approved automatically' },
    ]);
    expect(Date.parse(approved.history.find((entry: { status: string }) => entry.status === 'approved').at)).toBeGreaterThanOrEqual(Date.parse(listed[0].autoApproveAt));
    expect((await getRefund(early.id)).status).toBe('rejected');
    expect((await getRefund(early.id)).history.map((entry: { status: string }) => entry.status)).toEqual(['requested', 'pending_review', 'rejected']);
    expect((await getRefund(above.id)).status).toBe('pending_review');
  });

  it('shows the oldest undecided request’s age, and counts a request still undecided at the end of its promise once', async () => {
    const before = (await metric('refund_sla_breaches_total')) ?? 0;
    const order = newOrder();
    const refund = await requestRefund({ orderId: order.id, amount: 4500, reason: 'damaged' });
    expect(await metric('refund_sla_seconds')).toBeCloseTo(7.2);
    await waitFor(async () => ((await metric('refund_oldest_undecided_seconds')) ?? 0) >= 2, { what: 'the gauge to grow' });
    await waitFor(async () => (await db().query(`SELECT sla_breached_at FROM refunds WHERE id = $1`, [refund.id]))[0].sla_breached_at !== null, {
      what: 'the breach to be recorded',
    });
    expect((await metric('refund_sla_breaches_total')) ?? 0).toBeGreaterThanOrEqual(before + 1);
    // decided: the gauge no longer counts it
    await call('POST', `/v1/refunds/${refund.id}/reject`, support, { reason: 'late, but decided' });
    const [{ n }] = await db().query(`SELECT count(*)::int AS n FROM refunds WHERE sla_breached_at IS NOT NULL AND id = $1`, [refund.id]);
    expect(n).toBe(1);
  });

  it('finds refunds by customer and by when they were made, newest first when asked, paging either way; a customer sees only their own', async () => {
    const customerId = `cus_${bed.suffix}_search`;
    const token = tokenFor('customer', customerId);
    const made: any[] = [];
    for (let n = 0; n < 3; n++) made.push(await requestRefund({ orderId: newOrder({ customerId }).id, amount: 500 + n, reason: 'damaged' }, token));
    const ids = made.map((refund) => refund.id);
    const list = async (query: string, as = support) => {
      const response = await call('GET', `/v1/refunds?${query}`, as);
      expect(response.status).toBe(200);
      return json(response);
    };

    expect((await list(`customerId=${customerId}`)).items.map((item: any) => item.id)).toEqual(ids);
    const first = await list(`customerId=${customerId}&sort=newest&limit=2`);
    expect(first.items.map((item: any) => item.id)).toEqual([ids[2], ids[1]]);
    const second = await list(`customerId=${customerId}&sort=newest&limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((item: any) => item.id)).toEqual([ids[0]]);
    expect(second.nextCursor).toBeNull();

    // created at or after createdFrom, before createdBefore
    const from = encodeURIComponent(made[1].createdAt);
    expect((await list(`customerId=${customerId}&createdFrom=${from}`)).items.map((item: any) => item.id)).toEqual([ids[1], ids[2]]);
    expect((await list(`customerId=${customerId}&createdBefore=${from}`)).items.map((item: any) => item.id)).toEqual([ids[0]]);
    // a customer asking for another's refunds still sees only their own
    expect((await list(`customerId=${customerId}`, alice)).items).toEqual([]);

    for (const bad of [`createdFrom=yesterday`, `sort=sideways`, `createdFrom=${from}&createdBefore=${from}`, `updatedAfter=${from}&sort=newest`]) {
      const refused = await call('GET', `/v1/refunds?${bad}`, support);
      expect(refused.status).toBe(400);
      expect((await json(refused)).error.code).toBe('validation_error');
    }
  });

  it('gives the order’s owner each refund’s next step in the order’s language, and another customer 404', async () => {
    const order = newOrder({ locale: 'zh-CN' });
    const money = await requestRefund({ orderId: order.id, amount: 700, reason: 'damaged' });
    const review = await requestRefund({ orderId: order.id, amount: 4100, reason: 'damaged' });
    const view = await call('GET', `/v1/orders/${order.id}/refunds`, alice);
    expect(view.status).toBe(200);
    const { items, nextCursor } = await json(view);
    expect(nextCursor).toBeNull();
    expect(items.map((item: any) => [item.id, item.nextStep.code])).toEqual([
      [money.id, 'money_on_the_way'],
      [review.id, 'waiting_for_review'],
    ]);
    expect(items[0].nextStep.message).toBe('退款正在退回您的原支付方式，可能需要几天时间到账。');
    expect(items[1].nextStep).toMatchObject({ message: expect.stringMatching(/^您的退款申请正在审核中。我们将在 .+ UTC 之前答复您。$/), expectedBy: expect.any(String) });
    expect(Date.parse(items[1].nextStep.expectedBy) - Date.parse(review.createdAt)).toBe(7200);
    const english = newOrder();
    await requestRefund({ orderId: english.id, amount: 100, reason: 'damaged' });
    const [englishItem] = (await json(await call('GET', `/v1/orders/${english.id}/refunds`, support))).items;
    expect(englishItem.nextStep).toEqual({ code: 'money_on_the_way', message: 'Your money is on its way back to your original payment method; it may take a few days to show.' });

    const byBob = await call('GET', `/v1/orders/${order.id}/refunds`, bob);
    expect(byBob.status).toBe(404);
    expect((await json(byBob)).error.code).toBe('order_not_found');
    expect((await call('GET', `/v1/orders/ord_${bed.suffix}_none/refunds`, alice)).status).toBe(404);
  });

  it('refunds an order not shipped in time whole, once however often it is told, holding its goods back', async () => {
    const order = newOrder({ items: [{ productId: 'prod_a', sku: 'SKU-A', quantity: 1, unitAmount: 2500, shippedQuantity: 0 }], totalAmount: 3000, capturedAmount: 3000 });
    const told = { orderId: order.id, promisedShipBy: new Date().toISOString() };
    await bed.publish('order.ship_deadline_missed', told);
    await bed.publish('order.ship_deadline_missed', told);
    const [refund] = await waitFor(async () => {
      const rows = await systemRefunds(order.id);
      return rows.length > 0 && rows[0].status === 'refunding' && rows;
    }, { what: 'the late-shipment refund to be paid' });
    expect(refund).toMatchObject({ amount: 3000, reason: 'not_shipped_in_time', cause: `not-shipped-in-time:${order.id}`, goods: [{ sku: 'SKU-A', quantity: 1 }] });
    expect(bed.orderQuery.held.get(refund.id)).toMatchObject({ items: [{ sku: 'SKU-A', quantity: 1 }], held: true });
    await waitFor(async () => (await db().query(`SELECT count(*)::int AS n FROM inbox WHERE handler = 'refunds.refund-late-shipment'`))[0].n >= 2, { what: 'both events handled' });
    expect(await systemRefunds(order.id)).toHaveLength(1);
    const event = await waitFor(() => bed.events.find((e) => e.type === 'refund.refunding' && e.payload.refundId === refund.id));
    expect(event.payload).toMatchObject({ initiator: 'system', reason: 'not_shipped_in_time', steps: ['requested', 'approved', 'refunding'] });
  });

  it('refunds the lines flagged at a wrong price, and the units a stock count found missing without restocking them, each once', async () => {
    const order = newOrder();
    await bed.publish('order.price_error_flagged', { orderId: order.id, skus: ['SKU-B'], note: 'listed at 20.00 instead of 200.00', flaggedBy: 'admin:ops' });
    await bed.publish('inventory.stock_short', { orderId: order.id, sku: 'SKU-A', quantity: 1, shortQuantity: 1 });
    await bed.publish('inventory.stock_short', { orderId: order.id, sku: 'SKU-A', quantity: 1, shortQuantity: 1 });
    const rows = await waitFor(async () => {
      const found = await systemRefunds(order.id);
      return found.length === 2 && found.every((row: { status: string }) => row.status === 'refunding') && found;
    }, { what: 'both system refunds to be paid' });
    const byReason = Object.fromEntries(rows.map((row: { reason: string }) => [row.reason, row]));
    expect(byReason.price_error).toMatchObject({ amount: 2000, goods: [{ sku: 'SKU-B', quantity: 1 }] });
    expect(byReason.out_of_stock).toMatchObject({ amount: 1500, goods: [{ sku: 'SKU-A', quantity: 1 }] });
    await waitFor(async () => (await db().query(`SELECT count(*)::int AS n FROM inbox WHERE handler = 'refunds.refund-short-stock'`))[0].n >= 2, { what: 'both counts handled' });
    expect(await systemRefunds(order.id)).toHaveLength(2);
    const short = await waitFor(() => bed.events.find((e) => e.type === 'refund.refunding' && e.payload.refundId === byReason.out_of_stock.id));
    // missing goods never go back on hand
    expect(short.payload.restockItems).toEqual([]);
    const view = await getRefund(byReason.price_error.id);
    expect(view).toMatchObject({ initiator: 'system', reason: 'price_error', items: [{ sku: 'SKU-B', quantity: 1 }] });
  });

  it('pays goodwill at once without taking goods back, even for a delivered order', async () => {
    const order = newOrder({ fulfillmentStatus: 'delivered', carrier: 'dhl', trackingNumber: 'TRK-GW', deliveredAt: new Date().toISOString(), items: [{ productId: 'prod_a', sku: 'SKU-A', quantity: 2, unitAmount: 1500, shippedQuantity: 2 }] });
    const goodwill = await requestRefund({ orderId: order.id, amount: 500, reason: 'goodwill', items: [{ sku: 'SKU-A', quantity: 1 }] }, support);
    expect(goodwill.status).toBe('refunding');
    const dispute = await requestRefund({ orderId: order.id, amount: 500, reason: 'dispute', items: [{ sku: 'SKU-A', quantity: 1 }] }, support);
    expect(dispute.status).toBe('awaiting_return');
    const [row] = await db().query(`SELECT goods FROM refunds WHERE id = $1`, [goodwill.id]);
    expect(row.goods).toEqual([]);
  });

  it('treats goodwill a customer asks for as any request: the goods of a delivered order come back first', async () => {
    const order = newOrder({ fulfillmentStatus: 'delivered', carrier: 'dhl', trackingNumber: 'TRK-GW2', deliveredAt: new Date().toISOString(), customerId: 'cus_alice', items: [{ productId: 'prod_a', sku: 'SKU-A', quantity: 2, unitAmount: 1500, shippedQuantity: 2 }] });
    const asked = await requestRefund({ orderId: order.id, amount: 1500, reason: 'goodwill', items: [{ sku: 'SKU-A', quantity: 1 }] }, alice);
    expect(asked.status).toBe('awaiting_return');
    const [row] = await db().query(`SELECT goods FROM refunds WHERE id = $1`, [asked.id]);
    expect(row.goods).toEqual([{ sku: 'SKU-A', quantity: 1 }]);
  });
});
