import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { ApiClient, ok } from '@ebb/api-client';
import { TestPlatform, tokenFor, waitFor } from '@ebb/testing';
import { Client, admin, paidOrder, refundReaches, support } from './client';

/** Quick durable timers: a job held by a killed process is tried again within seconds. */
const JOBS = { JOBS_POLL_SECONDS: '0.5', JOBS_MAINTENANCE_SECONDS: '1', JOBS_EXPIRE_SECONDS: '5' };

describe('timers that survive: two replicas, one killed mid-run', () => {
  let platform: TestPlatform;
  let client: Client;

  afterEach(async () => {
    await platform?.stop();
  });

  it('approves a manual seller’s refund nobody decided exactly once, by system, with two refund-service replicas and one killed; above 5,000 it still waits', async () => {
    // a manual review waits 7.2 s here instead of 2 hours
    platform = await TestPlatform.start(undefined, { refund: { ...JOBS, REFUND_AUTO_APPROVE_HOURS: '0.002' } });
    client = new Client(platform);
    await platform.startReplica('refund');
    const replica = new ApiClient((service) => (service === 'refund' ? platform.url('refund#2') : platform.url(service)));
    const sellerId = `seller-manual-${randomUUID().slice(0, 8)}`;
    await ok(client.typed('refund', admin()).PUT('/v1/refund-policies/sellers/{sellerId}', { params: { path: { sellerId } }, body: { windowDays: 30, review: 'manual' } }));
    const small = await paidOrder(client, [{ quantity: 1, unitAmount: 3000 }], { order: { sellerId, locale: 'zh-CN' } });
    // 6,000.00 EUR: above the automatic approval limit of 5,000
    const large = await paidOrder(client, [{ quantity: 1, unitAmount: 600000 }], { order: { sellerId } });
    const waiting = await ok(client.typed('refund', small.token).POST('/v1/refunds', { body: { orderId: small.orderId, reason: 'damaged' } }));
    const above = await ok(client.typed('refund', large.token).POST('/v1/refunds', { body: { orderId: large.orderId, reason: 'damaged' } }));
    expect([waiting.status, above.status]).toEqual(['pending_review', 'pending_review']);

    // the queue, from either replica: oldest first, with its age and when the system decides
    const asAdmin = replica.typed('refund', admin());
    const queue = await ok(replica.typed('refund', support()).GET('/v1/refunds', { params: { query: { status: 'pending_review', limit: 200 } } }));
    const ours = queue.items.filter((item) => [waiting.id, above.id].includes(item.id));
    expect(ours.map((item) => item.id)).toEqual([waiting.id, above.id]);
    expect(ours[0]).toMatchObject({ ageSeconds: expect.any(Number), autoApproveAt: expect.any(String) });
    expect(ours[1].autoApproveAt).toBeNull();
    const ordersRefunds = (token: string) => replica.typed('refund', token).GET('/v1/orders/{orderId}/refunds', { params: { path: { orderId: small.orderId } } });
    const before = await ok(ordersRefunds(small.token));
    expect(before.items[0].nextStep).toMatchObject({ code: 'waiting_for_review', message: expect.stringContaining('您的退款申请正在审核中。'), expectedBy: ours[0].autoApproveAt });

    // the replica that scheduled the timer dies before it is due
    await platform.kill('refund');
    const approved = await waitFor(
      async () => {
        const { data: refund } = await asAdmin.GET('/v1/refunds/{id}', { params: { path: { id: waiting.id } } });
        return refund && ['refunding', 'succeeded'].includes(refund.status) && refund;
      },
      { what: 'the automatic approval on the surviving replica', timeoutMs: 40000 },
    );
    const approvals = approved.history.filter((entry) => entry.status === 'approved');
    expect(approvals).toEqual([{ status: 'approved', at: expect.any(String), actor: 'system', note: 'not reviewed within 0.002 hours: approved automatically' }]);
    const settled = await waitFor(async () => {
      const { data: refund } = await asAdmin.GET('/v1/refunds/{id}', { params: { path: { id: waiting.id } } });
      return refund?.status === 'succeeded' && refund;
    }, { what: 'the refund to be paid', timeoutMs: 30000 });
    expect(settled.history.filter((entry) => entry.status === 'approved')).toHaveLength(1);
    expect((await client.stripe().refunds.list({ payment_intent: small.providerPaymentId })).data).toHaveLength(1);
    const after = await ok(ordersRefunds(small.token));
    expect(after.items[0].nextStep).toEqual({ code: 'done', message: '此退款已结束，无需进一步操作。' });
    // its own time has long passed: above the limit, a person must still decide
    expect((await ok(asAdmin.GET('/v1/refunds/{id}', { params: { path: { id: above.id } } }))).status).toBe('pending_review');
    const other = await ordersRefunds(tokenFor('customer', 'cust-someone-else'));
    expect(other.response.status).toBe(404);
  }, 180000);

  it('refunds an order not shipped in time whole, once, with two order-service replicas and one killed; a price error flagged twice once; units found missing once, the rest shipped', async () => {
    platform = await TestPlatform.start(undefined, { order: JOBS });
    client = new Client(platform);
    await platform.startReplica('order');
    const replica = new ApiClient((service) => (service === 'order' ? platform.url('order#2') : platform.url(service)));
    const orders = { asSupport: replica.typed('order', support()), asAdmin: replica.typed('order', admin()) };
    const systemRefunds = async (orderId: string) =>
      (await ok(client.typed('refund', admin()).GET('/v1/refunds', { params: { query: { orderId } } }))).items.filter((item) => item.initiator === 'system');

    const late = await paidOrder(client, [{ quantity: 2, unitAmount: 1500 }, { quantity: 1, unitAmount: 900 }], { order: { promisedShipBy: new Date(Date.now() + 8000).toISOString() } });
    // the process that took the capture (and scheduled the deadline) dies before it comes; refund-service reads orders from it, so it comes back later
    await platform.kill('order');
    // the surviving replica notices the missed date (marked on the order with its event)
    const db = new PgClient({ connectionString: platform.databaseUrl('order') });
    await db.connect();
    try {
      await waitFor(async () => (await db.query(`SELECT 1 FROM orders WHERE id = $1 AND ship_deadline_missed_at IS NOT NULL`, [late.orderId])).rowCount === 1, {
        what: 'the surviving replica to notice the missed date',
        timeoutMs: 40000,
      });
    } finally {
      await db.end();
    }
    await platform.startApp('order', JOBS);
    const [lateRefund] = await waitFor(async () => {
      const found = await systemRefunds(late.orderId);
      return found.length > 0 && found;
    }, { what: 'the late-shipment refund', timeoutMs: 40000 });
    expect(lateRefund).toMatchObject({ reason: 'not_shipped_in_time', amount: late.total });
    const paid = await refundReaches(client, lateRefund.id, ['succeeded'], admin(), 30000);
    expect(paid.initiator).toBe('system');
    expect(await systemRefunds(late.orderId)).toHaveLength(1);
    const shipLate = await orders.asSupport.POST('/v1/orders/{id}/shipments', { params: { path: { id: late.orderId } }, body: { carrier: 'dhl', trackingNumber: 'TRK-LATE-1' } });
    expect(shipLate.response.status).toBe(409);

    const mispriced = await paidOrder(client, [{ quantity: 1, unitAmount: 2500 }, { quantity: 1, unitAmount: 700 }]);
    const flag = { skus: [mispriced.lines[0].sku], note: 'listed at 25.00 instead of 52.00' };
    for (let i = 0; i < 2; i++) {
      const flagged = await orders.asAdmin.POST('/v1/orders/{id}/price-error', { params: { path: { id: mispriced.orderId } }, body: flag });
      expect(flagged.response.status).toBe(202);
    }
    const [priceRefund] = await waitFor(async () => {
      const found = await systemRefunds(mispriced.orderId);
      return found.length > 0 && found;
    }, { what: 'the price-error refund' });
    expect(priceRefund).toMatchObject({ reason: 'price_error', amount: 2500, items: [{ sku: mispriced.lines[0].sku, quantity: 1 }] });
    await refundReaches(client, priceRefund.id, ['succeeded'], admin(), 30000);
    expect(await systemRefunds(mispriced.orderId)).toHaveLength(1);

    const counted = await paidOrder(client, [{ quantity: 3, unitAmount: 1000 }, { quantity: 2, unitAmount: 400 }]);
    const [shortLine, fullLine] = counted.lines;
    // the shelf holds 97 on hand and 3 paid for: a count of 2 finds one paid unit missing
    const inventory = client.typed('inventory', admin());
    const countShelf = () => ok(inventory.POST('/v1/stock/{sku}/counts', { params: { path: { sku: shortLine.sku } }, body: { counted: 2 } }));
    expect(await countShelf()).toMatchObject({ onHand: 0, heldForPaidOrders: 2, short: [{ orderId: counted.orderId, quantity: 1 }] });
    await countShelf();
    const [shortRefund] = await waitFor(async () => {
      const found = await systemRefunds(counted.orderId);
      return found.length > 0 && found;
    }, { what: 'the out-of-stock refund' });
    expect(shortRefund).toMatchObject({ reason: 'out_of_stock', amount: 1000, items: [{ sku: shortLine.sku, quantity: 1 }] });
    await refundReaches(client, shortRefund.id, ['succeeded'], admin(), 30000);
    expect(await systemRefunds(counted.orderId)).toHaveLength(1);
    // the rest of the order ships as it was
    const shipped = await ok(orders.asSupport.POST('/v1/orders/{id}/shipments', { params: { path: { id: counted.orderId } }, body: { carrier: 'dhl', trackingNumber: 'TRK-REST-1' } }));
    expect(shipped.shipment?.items).toEqual([
      { sku: shortLine.sku, quantity: 2 },
      { sku: fullLine.sku, quantity: 2 },
    ]);
    expect((await ok(inventory.GET('/v1/stock/{sku}', { params: { path: { sku: shortLine.sku } } }))).onHand).toBe(0);
  }, 240000);
});
