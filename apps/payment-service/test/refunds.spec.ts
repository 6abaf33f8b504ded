import { randomUUID } from 'node:crypto';
import { sleep, tokenFor, waitFor } from '@ebb/testing';
import { PaymentWorld } from './payment-world';

const json = async (response: Response): Promise<any> => response.json();

describe('payment-service: refunding through the provider', () => {
  const world = new PaymentWorld();
  const customer = tokenFor('customer', 'cus-1');

  beforeAll(() => world.start());
  afterAll(() => world.stop());

  /** An order paid through the sandbox with `paymentMethod`; resolves once payment.succeeded is out. */
  async function paidOrder(paymentMethod = 'pm_card_visa', totalAmount = 4000) {
    const order = world.addOrder({ totalAmount });
    const response = await world.api('/v1/payments', { method: 'POST', token: customer, body: JSON.stringify({ orderId: order.id }) });
    const payment = await json(response);
    await world.stripe.paymentIntents.confirm(payment.providerPaymentId, { payment_method: paymentMethod });
    await world.waitForEvent('payment.succeeded', (p) => p.paymentId === payment.id);
    return { order, payment };
  }

  const providerRefunds = async (paymentIntent: string) => (await world.stripe.refunds.list({ payment_intent: paymentIntent, limit: 100 })).data;
  const refundRow = async (refundId: string) =>
    (await world.dataSource.query(`SELECT status, attempt, provider_refund_id, failure_reason FROM provider_refunds WHERE refund_id = $1`, [refundId]))[0];

  it('refunds through the provider once a refund is refunding, and publishes payment.refund_succeeded from the webhook', async () => {
    const { order, payment } = await paidOrder();
    const refundId = `ref_${randomUUID()}`;
    await world.publishRefunding({ refundId, orderId: order.id, amount: 1500 });

    const event = await world.waitForEvent('payment.refund_succeeded', (p) => p.refundId === refundId);
    const [providerRefund] = await providerRefunds(payment.providerPaymentId);
    expect(providerRefund).toMatchObject({ amount: 1500, status: 'succeeded', metadata: { refundId, attempt: '1' } });
    expect(event.payload).toEqual({
      refundId,
      orderId: order.id,
      paymentId: payment.id,
      amount: 1500,
      currency: 'USD',
      providerRefundId: providerRefund.id,
      providerCalledAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(Date.parse(event.payload.providerCalledAt)).toBeLessThanOrEqual(Date.now());
    const view = await json(await world.api(`/v1/payments/${payment.id}`, { token: customer }));
    expect(view).toMatchObject({ status: 'succeeded', capturedAmount: 4000, refundedAmount: 1500 });
    expect(await refundRow(refundId)).toMatchObject({ status: 'succeeded', attempt: 1, provider_refund_id: providerRefund.id });
  });

  it('reports a refund the provider fails as payment.refund_failed with the provider’s reason', async () => {
    const { order, payment } = await paidOrder('pm_card_refundFail');
    const refundId = `ref_${randomUUID()}`;
    await world.publishRefunding({ refundId, orderId: order.id, amount: 4000 });

    const event = await world.waitForEvent('payment.refund_failed', (p) => p.refundId === refundId);
    expect(event.payload).toMatchObject({ refundId, orderId: order.id, paymentId: payment.id, amount: 4000, reason: 'expired_or_canceled_card' });
    expect(event.payload.providerRefundId).toMatch(/^re_/);
    // refund.updated (failed) and refund.failed both arrive: one failure is reported, nothing refunded
    await sleep(600);
    expect(world.eventsOf('payment.refund_failed', (p) => p.refundId === refundId)).toHaveLength(1);
    expect(world.eventsOf('payment.refund_succeeded', (p) => p.refundId === refundId)).toEqual([]);
    const view = await json(await world.api(`/v1/payments/${payment.id}`, { token: customer }));
    expect(view.refundedAmount).toBe(0);
  });

  it('sends one provider refund when the same refund.refunding arrives twice', async () => {
    const { order, payment } = await paidOrder();
    const refundId = `ref_${randomUUID()}`;
    // two deliveries with different message ids: the inbox cannot tell them apart, the refund id must
    await world.publishRefunding({ refundId, orderId: order.id, amount: 1000 });
    await world.publishRefunding({ refundId, orderId: order.id, amount: 1000 });
    await world.waitForEvent('payment.refund_succeeded', (p) => p.refundId === refundId);
    await world.publishRefunding({ refundId, orderId: order.id, amount: 1000 });
    await sleep(800);

    expect(await providerRefunds(payment.providerPaymentId)).toHaveLength(1);
    expect(world.eventsOf('payment.refund_succeeded', (p) => p.refundId === refundId)).toHaveLength(1);
    expect(await refundRow(refundId)).toMatchObject({ status: 'succeeded', attempt: 1 });
  });

  it('starts a second attempt with a new idempotency key only after the first one failed', async () => {
    const { order, payment } = await paidOrder('pm_card_refundFail');
    const refundId = `ref_${randomUUID()}`;
    await world.publishRefunding({ refundId, orderId: order.id, amount: 2500 });
    await world.waitForEvent('payment.refund_failed', (p) => p.refundId === refundId);

    // the operator clears the cause and retries: refund-service sends refund.refunding again
    await world.faults({ refundFailures: false });
    try {
      await world.publishRefunding({ refundId, orderId: order.id, amount: 2500 });
      const event = await world.waitForEvent('payment.refund_succeeded', (p) => p.refundId === refundId);
      const refunds = await providerRefunds(payment.providerPaymentId);
      expect(refunds.map((r) => [r.metadata?.attempt, r.status])).toEqual([
        ['2', 'succeeded'],
        ['1', 'failed'],
      ]);
      expect(event.payload.providerRefundId).toBe(refunds[0].id);
      expect(await refundRow(refundId)).toMatchObject({ status: 'succeeded', attempt: 2 });
    } finally {
      await world.faults({});
    }
  });

  it('settles a refund from its webhook even when the webhook beats the recording of the provider’s answer', async () => {
    const { order, payment } = await paidOrder('pm_card_visa', 2000);
    const refundId = `ref_${randomUUID()}`;
    // as a call leaves it mid-way: sent, the provider's id not yet recorded
    await world.dataSource.query(
      `INSERT INTO provider_refunds (refund_id, payment_id, order_id, provider, amount, currency, attempt, status, claimed_at)
       VALUES ($1, $2, $3, 'stripe', 800, 'USD', 1, 'requested', now())`,
      [refundId, payment.id, order.id],
    );
    const providerRefund = await world.stripe.refunds.create(
      { payment_intent: payment.providerPaymentId, amount: 800, metadata: { refundId, attempt: '1' } },
      { idempotencyKey: `${refundId}:1` },
    );
    const event = await world.waitForEvent('payment.refund_succeeded', (p) => p.refundId === refundId);
    expect(event.payload.providerRefundId).toBe(providerRefund.id);
    expect(await refundRow(refundId)).toMatchObject({ status: 'succeeded', provider_refund_id: providerRefund.id });
  });

  it('reports one failure when the provider’s refund webhooks arrive in reverse order', async () => {
    const { order } = await paidOrder('pm_card_refundFail', 1200);
    const refundId = `ref_${randomUUID()}`;
    await world.faults({ reorderWebhooks: true });
    try {
      await world.publishRefunding({ refundId, orderId: order.id, amount: 1200 });
      await world.waitForEvent('payment.refund_failed', (p) => p.refundId === refundId);
      await sleep(800);
    } finally {
      await world.faults({});
    }
    expect(world.eventsOf('payment.refund_failed', (p) => p.refundId === refundId)).toHaveLength(1);
    expect(await refundRow(refundId)).toMatchObject({ status: 'failed', failure_reason: 'expired_or_canceled_card' });
  });

  it('refuses a refund of an order it holds no captured payment for, without calling the provider', async () => {
    const order = world.addOrder();
    const refundId = `ref_${randomUUID()}`;
    await world.publishRefunding({ refundId, orderId: order.id, amount: 100 });
    const event = await world.waitForEvent('payment.refund_failed', (p) => p.refundId === refundId);
    expect(event.payload).toMatchObject({ reason: 'no_captured_payment', amount: 100 });
    await waitFor(async () => (await refundRow(refundId))?.status === 'failed', { what: 'the refund row to be failed' });
  });
});

describe('payment-service: the refund status sync', () => {
  const world = new PaymentWorld();
  const customer = tokenFor('customer', 'cus-1');

  beforeAll(() => world.start({ REFUND_SYNC_AFTER_MS: '300' }));
  afterAll(() => world.stop());

  it('settles a refund whose webhook never came by asking the provider once it has been pending too long', async () => {
    const order = world.addOrder({ totalAmount: 3000 });
    const payment = await json(await world.api('/v1/payments', { method: 'POST', token: customer, body: JSON.stringify({ orderId: order.id }) }));
    await world.stripe.paymentIntents.confirm(payment.providerPaymentId, { payment_method: 'pm_card_visa' });
    await world.waitForEvent('payment.succeeded', (p) => p.paymentId === payment.id);

    // a refund the provider settled while its webhooks were lost: ours knows it only as pending
    const refundId = `ref_${randomUUID()}`;
    await world.faults({ dropWebhooks: true });
    const providerRefund = await world.stripe.refunds.create({ payment_intent: payment.providerPaymentId, amount: 700, metadata: { refundId, attempt: '1' } });
    await waitFor(async () => (await world.sandboxWebhooks(providerRefund.id)).some((d) => d.type === 'refund.updated' && d.status === 'dropped'), {
      what: 'the refund webhook to have been lost',
    });
    await world.faults({});
    await world.dataSource.query(
      `INSERT INTO provider_refunds (refund_id, payment_id, order_id, provider, amount, currency, attempt, status, provider_refund_id, updated_at)
       VALUES ($1, $2, $3, 'stripe', 700, 'USD', 1, 'pending', $4, now() - interval '1 minute')`,
      [refundId, payment.id, order.id, providerRefund.id],
    );

    const event = await world.waitForEvent('payment.refund_succeeded', (p) => p.refundId === refundId);
    expect(event.payload).toMatchObject({ paymentId: payment.id, amount: 700, providerRefundId: providerRefund.id });
    const view = await json(await world.api(`/v1/payments/${payment.id}`, { token: customer }));
    expect(view.refundedAmount).toBe(700);
  });
});

describe('payment-service: provider refund calls in flight', () => {
  const world = new PaymentWorld();
  const customer = tokenFor('customer', 'cus-1');

  beforeAll(() => world.start({ REFUND_DISPATCH_CONCURRENCY: '20' }));
  afterAll(() => world.stop());

  const countBy = async (sql: string, refundIds: string[]) =>
    Object.fromEntries((await world.dataSource.query(sql, [refundIds])).map((row: { status: string; n: number }) => [row.status, row.n]));
  const statuses = (refundIds: string[]) => countBy(`SELECT status, count(*)::int AS n FROM provider_refunds WHERE refund_id = ANY($1) GROUP BY status`, refundIds);
  /** the provider calls of these refunds, by the state of their outbound call */
  const calls = (refundIds: string[]) =>
    countBy(`SELECT status, count(*)::int AS n FROM outbound_calls WHERE kind = 'provider.refund' AND payload->>'refundId' = ANY($1) GROUP BY status`, refundIds);

  it('keeps up to REFUND_DISPATCH_CONCURRENCY calls under way, a slow answer holding one slot, and sends the rest as slots free up', async () => {
    const orders = await Promise.all(
      Array.from({ length: 25 }, async () => {
        const order = world.addOrder({ totalAmount: 2000 });
        const payment = await json(await world.api('/v1/payments', { method: 'POST', token: customer, body: JSON.stringify({ orderId: order.id }) }));
        await world.stripe.paymentIntents.confirm(payment.providerPaymentId, { payment_method: 'pm_card_visa' });
        await world.waitForEvent('payment.succeeded', (p) => p.paymentId === payment.id);
        return order;
      }),
    );
    // every provider call now takes 2 s: the calls pile up under way, as many as the window holds
    await world.faults({ latencyMs: 2000 });
    try {
      const refundIds = orders.map(() => `ref_${randomUUID()}`);
      await Promise.all(orders.map((order, i) => world.publishRefunding({ refundId: refundIds[i], orderId: order.id, amount: 2000 })));
      await waitFor(async () => (await calls(refundIds)).calling === 20, { what: '20 calls under way at once', timeoutMs: 10_000 });
      expect(await calls(refundIds)).toEqual({ calling: 20, due: 5 });
      expect(await statuses(refundIds)).toEqual({ requested: 25 });
      await world.faults({ latencyMs: 0 });
      await waitFor(async () => (await statuses(refundIds)).succeeded === 25, { what: 'all 25 refunds to succeed', timeoutMs: 20_000 });
      // the outbox relay publishes after the commit: wait for the events, then make sure none comes twice
      const succeededEvents = () => world.eventsOf('payment.refund_succeeded', (p) => refundIds.includes(p.refundId));
      await waitFor(() => succeededEvents().length >= 25, { what: '25 payment.refund_succeeded events', timeoutMs: 10_000 });
      await sleep(300);
      expect(new Set(succeededEvents().map((e) => e.payload.refundId)).size).toBe(25);
      expect(succeededEvents()).toHaveLength(25);
    } finally {
      await world.faults({ latencyMs: 0 });
    }
  });
});
