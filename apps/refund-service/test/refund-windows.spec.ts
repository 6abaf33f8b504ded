import { DataSource } from 'typeorm';
import { tokenFor, uniqueSuffix, waitFor } from '@ebb/testing';
import { type RefundTestBed, capturedOrder, openRefundTestBed } from './refund-test-kit';

const json = async (response: Response): Promise<any> => response.json();
const DAY_MS = 24 * 60 * 60 * 1000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS).toISOString();

describe('refund windows per product, seller and platform', () => {
  let bed: RefundTestBed;
  let orderCount = 0;
  const alice = tokenFor('customer', 'cus_alice');
  const support = tokenFor('support', 'agent_sam');
  const admin = tokenFor('admin', 'ops_ann');
  const service = tokenFor('service', 'payments');

  beforeAll(async () => {
    bed = await openRefundTestBed('windows', {}, { inventory: true });
  });
  afterAll(async () => {
    await bed?.close();
  });

  const call = (method: string, path: string, token?: string, body?: unknown, base = bed.app.url) =>
    fetch(`${base}${path}`, {
      method,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const db = () => bed.app.app.get(DataSource);
  /** Sets the rollout flag now, or as if it had been set `daysAgo` (its history is what a past purchase is judged by). */
  const setFlag = async (mode: string, { daysAgo }: { daysAgo?: number } = {}) => {
    expect((await call('PUT', '/v1/admin/flags/per-product-policies', admin, { mode })).status).toBe(200);
    if (daysAgo !== undefined) await db().query(`UPDATE feature_flag_changes SET at = now() - make_interval(days => $1) WHERE id = (SELECT max(id) FROM feature_flag_changes)`, [daysAgo]);
  };

  /** A seller of its own and products in inventory-service's catalogue, one per window given (null: no own window). */
  async function shop(windows: (number | null)[], sellerWindow?: number) {
    const sellerId = `sel_${uniqueSuffix()}`;
    const productIds: string[] = [];
    for (const [index, windowDays] of windows.entries()) {
      const productId = `prod_${sellerId}_${index}`;
      const created = await call('POST', '/v1/products', admin, { id: productId, sellerId, title: `Product ${index}`, description: '' }, bed.inventory!.url('inventory'));
      expect(created.status).toBe(201);
      if (windowDays !== null) expect((await call('PUT', `/v1/refund-policies/products/${productId}`, admin, { windowDays })).status).toBe(200);
      productIds.push(productId);
    }
    if (sellerWindow !== undefined) expect((await call('PUT', `/v1/refund-policies/sellers/${sellerId}`, admin, { windowDays: sellerWindow })).status).toBe(200);
    // as if the shop had set its windows long ago, before any of the tests' purchases
    await db().query(`UPDATE refund_policy_changes SET at = now() - interval '100 days' WHERE scope_id = ANY($1) OR scope_id = $2`, [productIds, sellerId]);
    return { sellerId, productIds };
  }

  /** A captured order of one unit of each product (SKU-0, SKU-1, …), as OrderQuery answers it. */
  function order(sellerId: string, productIds: string[], overrides: Parameters<typeof capturedOrder>[1] = {}) {
    const items = productIds.map((productId, index) => ({ productId, sku: `SKU-${index}`, quantity: 1, unitAmount: 1000, shippedQuantity: 0 }));
    const total = items.length * 1000;
    const placed = capturedOrder(`ord_${bed.suffix}_w${++orderCount}`, { sellerId, items, shippingAmount: 0, totalAmount: total, capturedAmount: total, ...overrides });
    bed.orders.set(placed.id, placed);
    return placed;
  }
  const refund = (orderId: string, token: string, extra: Record<string, unknown> = {}) => call('POST', '/v1/refunds', token, { orderId, reason: 'damaged', amount: 100, ...extra });
  const delivered = (days: number) => ({ fulfillmentStatus: 'delivered', createdAt: daysAgo(days + 3), shippedAt: daysAgo(days + 2), deliveredAt: daysAgo(days) });

  describe('with per-product windows rolled out to every seller', () => {
    beforeAll(() => setFlag('all', { daysAgo: 100 }));

    it("answers which window applies to a product and where it comes from: the product's own, else its seller's, else 30 days", async () => {
      const { sellerId, productIds } = await shop([60, null], 14);
      const { productIds: bare } = await shop([null]);
      const own = await json(await call('GET', `/v1/refund-policies/products/${productIds[0]}`, support));
      expect(own).toEqual({
        productId: productIds[0],
        sellerId,
        windowDays: 60,
        source: 'product',
        ownWindowDays: 60,
        perProductPolicies: true,
        updatedAt: expect.any(String),
        updatedBy: 'admin:ops_ann',
      });
      expect(await json(await call('GET', `/v1/refund-policies/products/${productIds[1]}`, support))).toMatchObject({ windowDays: 14, source: 'seller', ownWindowDays: null });
      expect(await json(await call('GET', `/v1/refund-policies/products/${bare[0]}`, support))).toMatchObject({ windowDays: 30, source: 'default', updatedAt: null, updatedBy: null });

      const unknown = await call('GET', '/v1/refund-policies/products/prod_not_in_catalogue', support);
      expect({ status: unknown.status, code: (await json(unknown)).error.code }).toEqual({ status: 404, code: 'product_not_found' });
      const unknownPut = await call('PUT', '/v1/refund-policies/products/prod_not_in_catalogue', admin, { windowDays: 7 });
      expect(unknownPut.status).toBe(404);
      expect((await call('PUT', `/v1/refund-policies/products/${productIds[0]}`, support, { windowDays: 7 })).status).toBe(403);
      expect((await call('GET', `/v1/refund-policies/products/${productIds[0]}`, alice)).status).toBe(403);
    });

    it('refuses a refund outside the window for every role with 422 refund_window_expired, its days, source and end', async () => {
      const { sellerId, productIds } = await shop([14]);
      const late = order(sellerId, productIds, delivered(20));
      const deliveredAt = Date.parse(late.deliveredAt);
      for (const token of [alice, support, admin]) {
        const refused = await refund(late.id, token);
        expect(refused.status).toBe(422);
        expect((await json(refused)).error).toMatchObject({
          code: 'refund_window_expired',
          details: { windowDays: 14, source: 'product', expiredAt: new Date(deliveredAt + 14 * DAY_MS).toISOString(), productId: productIds[0] },
        });
      }
      expect(await db().query(`SELECT 1 FROM refunds WHERE order_id = $1`, [late.id])).toEqual([]);

      const inTime = order(late.sellerId, productIds, delivered(10));
      expect((await refund(inTime.id, alice)).status).toBe(201);
    });

    it('measures from purchase for goods never shipped, and has not started it for goods on their way', async () => {
      const { sellerId, productIds } = await shop([14]);
      const unshipped = order(sellerId, productIds, { createdAt: daysAgo(20) });
      const refused = await json(await refund(unshipped.id, alice));
      expect(refused.error.details).toMatchObject({ windowDays: 14, expiredAt: new Date(Date.parse(unshipped.createdAt) + 14 * DAY_MS).toISOString() });
      const inTransit = order(sellerId, productIds, { createdAt: daysAgo(40), fulfillmentStatus: 'shipped', shippedAt: daysAgo(39) });
      expect((await refund(inTransit.id, alice)).status).toBe(201);
    });

    it('refuses every refund of a 0-day product, line by line: the other lines of the order stay refundable', async () => {
      const { sellerId, productIds } = await shop([0, null]);
      const fresh = order(sellerId, productIds);
      const none = await refund(fresh.id, alice, { amount: undefined, items: [{ sku: 'SKU-0', quantity: 1 }] });
      expect(none.status).toBe(422);
      expect((await json(none)).error.details).toMatchObject({ windowDays: 0, source: 'product', productId: productIds[0] });
      // money only, without lines: every product of the order counts
      expect((await refund(fresh.id, alice)).status).toBe(422);
      expect((await refund(fresh.id, alice, { amount: undefined, items: [{ sku: 'SKU-1', quantity: 1 }] })).status).toBe(201);
    });

    it('lets support and admin refund outside the window with a reason kept in the history; a customer may not give one', async () => {
      const { sellerId, productIds } = await shop([7]);
      const old = order(sellerId, productIds, delivered(30));
      const byCustomer = await refund(old.id, alice, { overrideWindow: 'please' });
      expect(byCustomer.status).toBe(400);
      expect((await json(byCustomer)).error.details).toEqual([{ field: 'overrideWindow', message: 'may be given by support and admin only' }]);

      const bySupport = await refund(old.id, support, { reason: 'goodwill', overrideWindow: 'parcel was lost by the carrier for weeks' });
      expect(bySupport.status).toBe(201);
      const created = await json(bySupport);
      expect(created.history[0]).toEqual({
        status: 'requested',
        at: expect.any(String),
        actor: 'support:agent_sam',
        windowOverride: {
          reason: 'parcel was lost by the carrier for weeks',
          windows: [{ productId: productIds[0], windowDays: 7, source: 'product', expiredAt: new Date(Date.parse(old.deliveredAt) + 7 * DAY_MS).toISOString() }],
        },
      });
      expect((await json(await call('GET', `/v1/refunds/${created.id}`, support))).history[0].windowOverride.reason).toBe('parcel was lost by the carrier for weeks');
    });

    it('never refuses a refund the system starts itself (a service, initiator system)', async () => {
      const { sellerId, productIds } = await shop([0]);
      const closed = order(sellerId, productIds, delivered(90));
      expect((await refund(closed.id, service, { initiator: 'system', reason: 'price_error' })).status).toBe(201);
      // support naming itself the system is still held to the window
      expect((await refund(order(sellerId, productIds, delivered(90)).id, support, { initiator: 'system', reason: 'price_error' })).status).toBe(422);
    });

    it('keeps a customer at least the window in force when they bought: a later change never shortens it, and may lengthen it', async () => {
      const { sellerId, productIds } = await shop([30, 7, 0]);
      // the windows were set 25 days ago; the customer bought 20 days ago
      await db().query(`UPDATE refund_policy_changes SET at = now() - interval '25 days' WHERE scope_id = ANY($1)`, [productIds]);
      const bought = order(sellerId, productIds, { createdAt: daysAgo(20) });
      const line = (sku: string) => refund(bought.id, alice, { amount: undefined, items: [{ sku, quantity: 1 }] });
      // shortened 10 days ago: 30 → 7 days; lengthened then too: 0 → 30 days
      await call('PUT', `/v1/refund-policies/products/${productIds[0]}`, admin, { windowDays: 7, reason: 'templates are 7 days now' });
      await call('PUT', `/v1/refund-policies/products/${productIds[2]}`, admin, { windowDays: 30 });
      await db().query(`UPDATE refund_policy_changes SET at = now() - interval '10 days' WHERE scope_id = ANY($1) AND at > now() - interval '1 hour'`, [productIds]);
      expect((await line('SKU-0')).status).toBe(201);
      expect((await line('SKU-2')).status).toBe(201);
      // 7 days then and now: closed 13 days ago
      const closed = await line('SKU-1');
      expect((await json(closed)).error.details).toMatchObject({ windowDays: 7, source: 'product' });

      // a customer who bought after the shortening has the new window only
      const later = order(sellerId, [productIds[0]], { createdAt: daysAgo(8) });
      expect((await json(await refund(later.id, alice))).error.details).toMatchObject({ windowDays: 7, productId: productIds[0] });
    });
  });

  describe('rollout', () => {
    it('judges a seller the flag does not enable by its seller-wide window alone, and switches at once both ways', async () => {
      const { sellerId, productIds } = await shop([7], 30);
      const bought = order(sellerId, productIds, delivered(10));
      await setFlag('off');
      expect(await json(await call('GET', `/v1/refund-policies/products/${productIds[0]}`, support))).toMatchObject({ windowDays: 30, source: 'seller', ownWindowDays: 7, perProductPolicies: false });
      expect((await refund(bought.id, alice)).status).toBe(201);

      await setFlag('all');
      const again = order(sellerId, productIds, delivered(10));
      expect((await json(await refund(again.id, alice))).error.details).toMatchObject({ windowDays: 7, source: 'product' });
      await setFlag('off');
      expect((await refund(again.id, alice)).status).toBe(201);
    });

    it('keeps the seller-wide window of a purchase made before the seller was enabled', async () => {
      const { sellerId, productIds } = await shop([7], 30);
      // off until 15 days ago, every seller enabled since
      await setFlag('off', { daysAgo: 30 });
      await setFlag('all', { daysAgo: 15 });
      const beforeEnabled = order(sellerId, productIds, { createdAt: daysAgo(20) });
      expect((await refund(beforeEnabled.id, alice)).status).toBe(201);
      const afterEnabled = order(sellerId, productIds, { createdAt: daysAgo(10) });
      expect((await json(await refund(afterEnabled.id, alice))).error.details).toMatchObject({ windowDays: 7, source: 'product' });
    });
  });

  describe("a seller's rules", () => {
    it('refuses a product window that breaks them with 409 policy_conflict naming the rule, and changes nothing', async () => {
      const { sellerId, productIds } = await shop([null]);
      const rules = await call('PUT', `/v1/refund-policies/sellers/${sellerId}`, admin, { windowDays: 30, minWindowDays: 7, maxWindowDays: 90, allowNoRefunds: false });
      expect(rules.status).toBe(200);
      expect(await json(rules)).toEqual({ sellerId, windowDays: 30, minWindowDays: 7, maxWindowDays: 90, allowNoRefunds: false, review: 'automatic', updatedAt: expect.any(String), updatedBy: 'admin:ops_ann' });
      for (const [windowDays, rule] of [
        [3, 'min_window_days'],
        [120, 'max_window_days'],
        [0, 'allow_no_refunds'],
      ] as const) {
        const refused = await call('PUT', `/v1/refund-policies/products/${productIds[0]}`, admin, { windowDays });
        expect(refused.status).toBe(409);
        expect((await json(refused)).error).toMatchObject({ code: 'policy_conflict', details: { productId: productIds[0], sellerId, windowDays, rule } });
      }
      expect(await json(await call('GET', `/v1/refund-policies/products/${productIds[0]}`, admin))).toMatchObject({ ownWindowDays: null });
      expect((await call('PUT', `/v1/refund-policies/products/${productIds[0]}`, admin, { windowDays: 60 })).status).toBe(200);
    });

    it('refuses seller rules that a product window already set would break, naming the product', async () => {
      const { sellerId, productIds } = await shop([60, 10]);
      const refused = await call('PUT', `/v1/refund-policies/sellers/${sellerId}`, admin, { windowDays: 30, maxWindowDays: 45 });
      expect(refused.status).toBe(409);
      expect((await json(refused)).error.details).toEqual({ productId: productIds[0], sellerId, windowDays: 60, rule: 'max_window_days' });
      expect((await call('GET', `/v1/refund-policies/sellers/${sellerId}`, admin)).status).toBe(404);
      // a seller that allows no-refund products allows 0 below its minimum; one that does not say is held to it
      expect((await call('PUT', `/v1/refund-policies/sellers/${sellerId}`, admin, { windowDays: 30, minWindowDays: 7, allowNoRefunds: true })).status).toBe(200);
      expect((await call('PUT', `/v1/refund-policies/products/${productIds[1]}`, admin, { windowDays: 0 })).status).toBe(200);
      expect((await call('PUT', `/v1/refund-policies/sellers/${sellerId}`, admin, { windowDays: 30, minWindowDays: 7 })).status).toBe(409);
    });

    it('refuses rules that contradict themselves with 400, naming each field', async () => {
      const bad = await call('PUT', '/v1/refund-policies/sellers/sel_bad', admin, { windowDays: 5, minWindowDays: 10, maxWindowDays: 8 });
      expect(bad.status).toBe(400);
      expect((await json(bad)).error.details.map((d: { field: string }) => d.field).sort()).toEqual(['minWindowDays', 'windowDays']);
      const zero = await call('PUT', '/v1/refund-policies/sellers/sel_bad', admin, { windowDays: 0, allowNoRefunds: false });
      expect((await json(zero)).error.details).toEqual([{ field: 'windowDays', message: 'cannot be 0 when allowNoRefunds is false' }]);
      expect((await call('PUT', '/v1/refund-policies/sellers/sel_bad', admin, { windowDays: -1 })).status).toBe(400);
    });
  });

  it('logs every change with its old and new value, actor, time and reason, listed by product, seller and page', async () => {
    const { sellerId, productIds } = await shop([14], 30);
    await call('PUT', `/v1/refund-policies/products/${productIds[0]}`, admin, { windowDays: 21, reason: 'longer for gifts' });
    // the same value again is no change
    await call('PUT', `/v1/refund-policies/products/${productIds[0]}`, admin, { windowDays: 21 });
    const byProduct = await json(await call('GET', `/v1/refund-policies/changes?productId=${productIds[0]}`, support));
    expect(byProduct).toEqual({
      items: [
        { id: expect.any(String), scope: 'product', productId: productIds[0], sellerId, old: null, new: { windowDays: 14 }, actor: 'admin:ops_ann', at: expect.any(String) },
        { id: expect.any(String), scope: 'product', productId: productIds[0], sellerId, old: { windowDays: 14 }, new: { windowDays: 21 }, actor: 'admin:ops_ann', reason: 'longer for gifts', at: expect.any(String) },
      ],
      nextCursor: null,
    });
    const bySeller = await json(await call('GET', `/v1/refund-policies/changes?sellerId=${sellerId}&limit=2`, support));
    expect(bySeller.items.map((item: { scope: string }) => item.scope)).toEqual(['product', 'seller']);
    const rest = await json(await call('GET', `/v1/refund-policies/changes?sellerId=${sellerId}&limit=2&cursor=${bySeller.nextCursor}`, support));
    expect(rest).toEqual({ items: [expect.objectContaining({ new: { windowDays: 21 } })], nextCursor: null });
    expect((await call('GET', '/v1/refund-policies/changes?cursor=nope', support)).status).toBe(400);
    expect((await call('GET', '/v1/refund-policies/changes', alice)).status).toBe(403);
    await waitFor(async () => (await json(await call('GET', `/v1/admin/audit?target=${productIds[0]}`, admin))).items?.length >= 3, { what: 'the audit of the admin writes' });
  });
});
