import { randomUUID } from 'node:crypto';
import { tokenFor, waitFor } from '@ebb/testing';
import { PaymentWorld } from './payment-world';

const json = async (response: Response): Promise<any> => response.json();
const refundIdOf = () => `ref_${randomUUID().replace(/-/g, '')}`;
/** A provider's "today": UTC for Stripe, Beijing time for Alipay and WeChat Pay. */
const today = (offsetMinutes: number) => new Date(Date.now() + offsetMinutes * 60_000).toISOString().slice(0, 10);

const customer = tokenFor('customer', 'cus-1');
const admin = tokenFor('admin', 'ops-1');

/** What a test reads of a difference: its kind and what it is about, and what was done. */
const summary = (d: any) => `${d.object}:${d.kind}:${d.refundId ?? d.providerRefundId ?? d.paymentId ?? d.providerPaymentId}:${d.resolution}`;

async function reconcile(world: PaymentWorld, date: string, provider: string) {
  const started = await world.api('/v1/admin/reconciliations', { method: 'POST', token: admin, body: JSON.stringify({ date, provider }) });
  expect(started.status).toBe(201);
  const { id } = await json(started);
  return waitFor(
    async () => {
      const run = await json(await world.api(`/v1/admin/reconciliations/${id}`, { token: admin }));
      return run.status !== 'running' && run;
    },
    { what: `reconciliation ${id} to finish`, timeoutMs: 20_000 },
  );
}

describe('payment-service: reconciliation with Stripe (lists of refunds and intents by created range)', () => {
  const world = new PaymentWorld();
  const date = today(0);

  beforeAll(() => world.start());
  afterAll(() => world.stop());
  afterEach(() => world.faults({}));

  async function paid(totalAmount: number) {
    const order = world.addOrder({ totalAmount });
    const payment = await json(await world.api('/v1/payments', { method: 'POST', token: customer, body: JSON.stringify({ orderId: order.id }) }));
    await world.stripe.paymentIntents.confirm(payment.providerPaymentId, { payment_method: 'pm_card_visa' });
    await world.waitForEvent('payment.succeeded', (p) => p.paymentId === payment.id);
    return { order, payment };
  }
  async function refunded(order: { id: string }, amount: number) {
    const refundId = refundIdOf();
    await world.publishRefunding({ refundId, orderId: order.id, amount });
    await world.waitForEvent('payment.refund_succeeded', (p) => p.refundId === refundId);
    return refundId;
  }

  it('reports no difference for a day on which both sides agree, and counts what matched', async () => {
    const { order } = await paid(5000);
    await refunded(order, 1200);
    await paid(700);
    const run = await reconcile(world, date, 'stripe');
    expect(run).toMatchObject({ date, provider: 'stripe', trigger: 'api', status: 'done', differences: [] });
    expect(run.matched).toBe(3);
    const empty = await reconcile(world, '2026-01-01', 'stripe');
    expect(empty).toMatchObject({ status: 'done', matched: 0, differences: [] });
  });

  it('finds exactly the differences injected, of each kind, repairs the safe ones and queues the rest for a person', async () => {
    // missing in Ebb: a refund made straight at the sandbox while its webhooks were lost
    const dashboard = await paid(4000);
    const settledQuietly = await paid(3000);
    await world.faults({ dropWebhooks: true });
    const outside = await world.stripe.refunds.create({ payment_intent: dashboard.payment.providerPaymentId, amount: 900 });
    // status: Ebb sent a refund and never heard back; the provider settled it meanwhile
    const quietRefund = refundIdOf();
    await world.publishRefunding({ refundId: quietRefund, orderId: settledQuietly.order.id, amount: 3000 });
    await waitFor(async () => (await world.dataSource.query(`SELECT status FROM provider_refunds WHERE refund_id = $1`, [quietRefund]))[0]?.status === 'pending', { what: 'the refund accepted' });
    await waitFor(async () => (await world.stripe.refunds.list({ payment_intent: settledQuietly.payment.providerPaymentId })).data[0]?.status === 'succeeded', { what: 'the provider to settle it' });
    await world.faults({});
    // amount: a refund Ebb recorded with another amount than the provider paid
    const changed = await paid(2500);
    const changedRefund = await refunded(changed.order, 1000);
    await world.dataSource.query(`UPDATE provider_refunds SET amount = 1100 WHERE refund_id = $1`, [changedRefund]);
    // missing at the provider: Ebb holds a succeeded refund the provider never made
    const phantom = await paid(1500);
    const phantomRefund = refundIdOf();
    await world.dataSource.query(
      `INSERT INTO provider_refunds (refund_id, payment_id, order_id, provider, amount, currency, attempt, status, provider_refund_id)
       VALUES ($1, $2, $3, 'stripe', 500, 'USD', 1, 'succeeded', 're_neverMadeAtTheProvider1')`,
      [phantomRefund, phantom.payment.id, phantom.order.id],
    );

    const run = await reconcile(world, date, 'stripe');
    expect(run.status).toBe('done');
    expect(run.differences.map(summary).sort()).toEqual(
      [
        `refund:missing_in_ebb:${outside.id}:repaired`,
        `refund:status_mismatch:${quietRefund}:repaired`,
        `refund:amount_mismatch:${changedRefund}:open`,
        `refund:missing_at_provider:${phantomRefund}:open`,
      ].sort(),
    );
    expect(run.differences.find((d: any) => d.kind === 'amount_mismatch')).toMatchObject({ ebbAmount: 1100, providerAmount: 1000, currency: 'USD' });
    // the repairs are the events a webhook would have made
    const caught = await world.waitForEvent('payment.refunded_outside_ebb', (p) => p.providerRefundId === outside.id);
    expect(caught.payload).toMatchObject({ paymentId: dashboard.payment.id, amount: 900, detectedBy: 'reconciliation' });
    await world.waitForEvent('payment.refund_succeeded', (p) => p.refundId === quietRefund);

    // JSON above, CSV here, metrics and a queue for a person
    const csv = await world.api(`/v1/admin/reconciliations/${run.id}/differences.csv`, { token: admin });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toBe('kind,object,provider,refundId,providerRefundId,paymentId,providerPaymentId,currency,ebbAmount,providerAmount,ebbStatus,providerStatus,resolution,note');
    expect(lines).toHaveLength(5);
    expect(lines.some((line) => line.startsWith(`amount_mismatch,refund,stripe,${changedRefund},`) && line.includes(',1100,1000,'))).toBe(true);
    const metrics = await (await world.api('/metrics')).text();
    expect(metrics).toMatch(/^reconciliation_differences_open\{provider="stripe"[^}]*\} 2$/m);
    expect(metrics).toMatch(/^reconciliation_differences_total\{provider="stripe",kind="missing_in_ebb",resolution="repaired"[^}]*\} 1$/m);
    const queue = await json(await world.api('/v1/admin/reconciliation-differences?resolution=open', { token: admin }));
    expect(queue.items.map(summary).sort()).toEqual([`refund:amount_mismatch:${changedRefund}:open`, `refund:missing_at_provider:${phantomRefund}:open`].sort());
    const resolve = (id: string, body: unknown) => world.api(`/v1/admin/reconciliation-differences/${id}/resolve`, { method: 'POST', token: admin, body: JSON.stringify(body) });
    expect((await resolve(queue.items[0].id, {})).status).toBe(400);
    const resolved = await resolve(queue.items[0].id, { note: 'asked Stripe: the ledger was edited by hand, corrected' });
    expect(resolved.status).toBe(200);
    expect(await json(resolved)).toMatchObject({ resolution: 'resolved', resolvedBy: 'admin:ops-1' });
    const again = await resolve(queue.items[0].id, { note: 'twice' });
    expect([again.status, (await json(again)).error.code]).toEqual([409, 'reconciliation_difference_not_open']);
    expect((await world.api('/v1/admin/reconciliations', { method: 'POST', token: customer, body: JSON.stringify({ date }) })).status).toBe(403);
    expect((await world.api('/v1/admin/reconciliations', { method: 'POST', token: admin, body: JSON.stringify({ date: '2026-02-30' }) })).status).toBe(400);

    // repaired differences are not found again; the open ones are, until a person settles them
    const next = await reconcile(world, date, 'stripe');
    expect(next.differences.map(summary).sort()).toEqual([`refund:amount_mismatch:${changedRefund}:open`, `refund:missing_at_provider:${phantomRefund}:open`].sort());
  });

  it('captures a payment whose notification never came, and reports money taken for nothing Ebb knows', async () => {
    await world.faults({ dropWebhooks: true });
    const order = world.addOrder({ totalAmount: 1800 });
    const payment = await json(await world.api('/v1/payments', { method: 'POST', token: customer, body: JSON.stringify({ orderId: order.id }) }));
    await world.stripe.paymentIntents.confirm(payment.providerPaymentId, { payment_method: 'pm_card_visa' });
    const stranger = await world.stripe.paymentIntents.create({ amount: 999, currency: 'usd', confirm: true, payment_method: 'pm_card_visa' });
    await world.faults({});
    const run = await reconcile(world, date, 'stripe');
    const found = run.differences.filter((d: any) => d.object === 'payment').map(summary).sort();
    expect(found).toEqual([`payment:missing_in_ebb:${stranger.id}:open`, `payment:status_mismatch:${payment.id}:repaired`].sort());
    const captured = await world.waitForEvent('payment.succeeded', (p) => p.paymentId === payment.id);
    expect(captured.payload.amount).toBe(1800);
  });
});

describe('payment-service: reconciliation with Alipay and WeChat Pay (their bills)', () => {
  const world = new PaymentWorld();
  const beijing = today(8 * 60);

  beforeAll(() => world.start());
  afterAll(() => world.stop());
  afterEach(() => world.faults({}));

  async function paid(provider: 'alipay' | 'wechatpay', totalAmount: number) {
    const order = world.addOrder({ currency: 'CNY', totalAmount });
    const payment = await json(await world.api('/v1/payments', { method: 'POST', token: customer, body: JSON.stringify({ orderId: order.id, provider }) }));
    const scan = provider === 'alipay' ? ['/__sandbox/alipay/scan', { qrCode: payment.qrCode }] : ['/__sandbox/wechatpay/scan', { codeUrl: payment.qrCode }];
    await world.sandboxCall('POST', scan[0] as string, scan[1]);
    await world.waitForEvent('payment.succeeded', (p) => p.paymentId === payment.id);
    return { order, payment };
  }
  async function refunded(order: { id: string }, amount: number) {
    const refundId = refundIdOf();
    await world.publishRefunding({ refundId, orderId: order.id, amount, currency: 'CNY' });
    await world.waitForEvent('payment.refund_succeeded', (p) => p.refundId === refundId);
    return refundId;
  }

  it('agrees with an Alipay bill of a quiet day, then finds a dashboard refund, an amount and a refund missing at Alipay', async () => {
    const { order } = await paid('alipay', 10000);
    await refunded(order, 2500);
    const clean = await reconcile(world, beijing, 'alipay');
    expect(clean).toMatchObject({ status: 'done', matched: 2, differences: [] });

    const dashboard = await paid('alipay', 6000);
    await world.faults({ dropWebhooks: true });
    const alipay = world.alipayDashboard();
    const made = await alipay.exec('alipay.trade.refund', { bizContent: { out_trade_no: dashboard.payment.id, refund_amount: '12.34', out_request_no: 'dashboard-1' } }, { validateSign: true });
    await world.faults({});
    const changed = await refunded(dashboard.order, 1000);
    await world.dataSource.query(`UPDATE provider_refunds SET amount = 999 WHERE refund_id = $1`, [changed]);
    const phantom = refundIdOf();
    await world.dataSource.query(
      `INSERT INTO provider_refunds (refund_id, payment_id, order_id, provider, amount, currency, attempt, status, provider_refund_id)
       VALUES ($1, $2, $3, 'alipay', 700, 'CNY', 1, 'succeeded', $4)`,
      [phantom, dashboard.payment.id, dashboard.order.id, `${made.trade_no}/${phantom}-1`],
    );
    const run = await reconcile(world, beijing, 'alipay');
    expect(run.differences.map(summary).sort()).toEqual(
      [`refund:missing_in_ebb:${made.trade_no}/dashboard-1:repaired`, `refund:amount_mismatch:${changed}:open`, `refund:missing_at_provider:${phantom}:open`].sort(),
    );
    const caught = await world.waitForEvent('payment.refunded_outside_ebb', (p) => p.providerRefundId === `${made.trade_no}/dashboard-1`);
    expect(caught.payload).toMatchObject({ amount: 1234, currency: 'CNY', detectedBy: 'reconciliation' });
  });

  it('agrees with a WeChat Pay bill, then settles a refund whose notification was lost and catches one made outside Ebb', async () => {
    const first = await paid('wechatpay', 8800);
    await refunded(first.order, 800);
    const clean = await reconcile(world, beijing, 'wechatpay');
    expect(clean).toMatchObject({ status: 'done', matched: 2, differences: [] });

    const quiet = await paid('wechatpay', 5000);
    await world.faults({ dropWebhooks: true });
    const quietRefund = refundIdOf();
    await world.publishRefunding({ refundId: quietRefund, orderId: quiet.order.id, amount: 5000, currency: 'CNY' });
    await waitFor(async () => (await world.dataSource.query(`SELECT status FROM provider_refunds WHERE refund_id = $1`, [quietRefund]))[0]?.status === 'pending', { what: 'the refund accepted' });
    const merchantTool = world.wechatpayDashboard();
    const outside = await merchantTool.refund({ refundId: 'dashboard_7', attempt: 1, providerPaymentId: first.payment.providerPaymentId, amount: 500, currency: 'CNY', paymentAmount: 8800, idempotencyKey: 'x' });
    // both settled (and their notifications lost) before the notifications come back
    await waitFor(async () => (await merchantTool.findRefund({ providerPaymentId: quiet.payment.providerPaymentId, refundId: quietRefund, attempt: 1 }))?.status === 'succeeded', { what: 'WeChat Pay to settle it' });
    await waitFor(async () => (await merchantTool.retrieveRefund(outside.providerRefundId)).status === 'succeeded', { what: 'WeChat Pay to settle the one made outside Ebb' });
    await world.faults({});

    const run = await reconcile(world, beijing, 'wechatpay');
    expect(run.differences.map(summary).sort()).toEqual([`refund:missing_in_ebb:${outside.providerRefundId}:repaired`, `refund:status_mismatch:${quietRefund}:repaired`].sort());
    await world.waitForEvent('payment.refund_succeeded', (p) => p.refundId === quietRefund);
    await world.waitForEvent('payment.refunded_outside_ebb', (p) => p.providerRefundId === outside.providerRefundId);
  });
});
