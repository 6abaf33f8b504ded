import { randomUUID } from 'node:crypto';
import { sleep, tokenFor, waitFor } from '@ebb/testing';
import { PaymentWorld } from './payment-world';

const json = async (response: Response): Promise<any> => response.json();

/**
 * A provider call whose outcome stays unknown is tried a bounded number of times with backoff; the
 * last attempt (and any past the provider's idempotency horizon, 1 ms here) looks the refund up by
 * Ebb's own reference first; what it never settles is parked as outcome_unknown for an operator.
 */
describe('payment-service: provider refunds whose outcome is unknown', () => {
  const world = new PaymentWorld();
  const customer = tokenFor('customer', 'cus-1');
  const admin = tokenFor('admin', 'ops-1');

  beforeAll(() =>
    world.start({
      PROVIDER_REFUND_MAX_ATTEMPTS: '3',
      PROVIDER_REFUND_BACKOFF_MS: '1500',
      PROVIDER_REFUND_MAX_BACKOFF_MS: '1500',
      PROVIDER_IDEMPOTENCY_HORIZON_MS: '1',
    }),
  );
  afterAll(() => world.stop());
  afterEach(() => world.faults({}));

  async function paidOrder(totalAmount = 3000) {
    const order = world.addOrder({ totalAmount });
    const payment = await json(await world.api('/v1/payments', { method: 'POST', token: customer, body: JSON.stringify({ orderId: order.id }) }));
    await world.stripe.paymentIntents.confirm(payment.providerPaymentId, { payment_method: 'pm_card_visa' });
    await world.waitForEvent('payment.succeeded', (p) => p.paymentId === payment.id);
    return { order, payment };
  }
  const providerRefunds = async (paymentIntent: string) => (await world.stripe.refunds.list({ payment_intent: paymentIntent, limit: 100 })).data;
  const row = async (refundId: string) =>
    (await world.dataSource.query(`SELECT status, attempt, provider_refund_id, failure_reason FROM provider_refunds WHERE refund_id = $1`, [refundId]))[0];
  const call = async (refundId: string) =>
    (await world.dataSource.query(`SELECT status, attempts FROM outbound_calls WHERE kind = 'provider.refund' AND key = $1`, [`${refundId}:1`]))[0];

  it('parks a refund whose every attempt and look-up failed as outcome_unknown, alerts on it, and lists it for an operator', async () => {
    const { order, payment } = await paidOrder();
    const refundId = `ref_${randomUUID()}`;
    await world.faults({ errorRate: 1 });
    await world.publishRefunding({ refundId, orderId: order.id, amount: 1200 });
    await waitFor(async () => (await row(refundId))?.status === 'outcome_unknown', { what: 'the refund to be parked', timeoutMs: 20_000 });
    expect(await call(refundId)).toEqual({ status: 'parked', attempts: 3 });
    expect((await row(refundId)).failure_reason).toMatch(/^outcome unknown: /);
    // never failed silently, never retried forever: an operator is told
    expect(await (await world.api('/metrics')).text()).toMatch(/^provider_refunds_outcome_unknown(\{[^}]*\})? 1$/m);
    expect(world.eventsOf('payment.refund_failed', (p) => p.refundId === refundId)).toEqual([]);

    const listed = await json(await world.api('/v1/admin/provider-refunds?status=outcome_unknown', { token: admin }));
    expect(listed.items).toEqual([expect.objectContaining({ refundId, orderId: order.id, paymentId: payment.id, status: 'outcome_unknown', amount: 1200, attempt: 1 })]);
    expect((await world.api('/v1/admin/provider-refunds?status=outcome_unknown', { token: customer })).status).toBe(403);
    const badCursor = await world.api('/v1/admin/provider-refunds?cursor=nonsense', { token: admin });
    expect([badCursor.status, (await json(badCursor)).error.code]).toEqual([400, 'validation_error']);

    // the provider answers again: a look-up now finds it never made the refund, so it fails and its amount is released
    await world.faults({});
    const synced = await world.api(`/v1/admin/provider-refunds/${refundId}/sync`, { method: 'POST', token: admin });
    expect(synced.status).toBe(200);
    expect(await json(synced)).toMatchObject({ refund: { status: 'failed', failureReason: 'not made at the provider (looked up by an operator)' }, provider: null });
    const failed = await world.waitForEvent('payment.refund_failed', (p) => p.refundId === refundId);
    expect(failed.payload.reason).toBe('not made at the provider (looked up by an operator)');
    expect(await providerRefunds(payment.providerPaymentId)).toEqual([]);
    expect(await call(refundId)).toEqual({ status: 'done', attempts: 3 });
  });

  it('looks a repeat past the idempotency horizon up before sending it again, so a forgotten key cannot pay twice', async () => {
    const { order, payment } = await paidOrder();
    const refundId = `ref_${randomUUID()}`;
    // the provider's notifications are lost throughout: only a look-up can tell
    await world.faults({ errorRate: 1, dropWebhooks: true });
    await world.publishRefunding({ refundId, orderId: order.id, amount: 500 });
    await waitFor(async () => (await call(refundId))?.attempts >= 1 && (await call(refundId)).status === 'due', { what: 'a failed first attempt', timeoutMs: 10_000 });
    // the provider did make it meanwhile, and has forgotten the key (no idempotency key on this one)
    await world.faults({ dropWebhooks: true });
    const made = await world.stripe.refunds.create({ payment_intent: payment.providerPaymentId, amount: 500, metadata: { refundId, attempt: '1' } });
    await world.waitForEvent('payment.refund_succeeded', (p) => p.refundId === refundId, 'the refund settled from the look-up');
    expect(await row(refundId)).toMatchObject({ status: 'succeeded', provider_refund_id: made.id });
    expect(await providerRefunds(payment.providerPaymentId)).toHaveLength(1);
  });

  it('lets an operator resolve an outcome_unknown refund from the provider’s dashboard, and refuses it for any other', async () => {
    const { order } = await paidOrder();
    const refundId = `ref_${randomUUID()}`;
    await world.faults({ errorRate: 1 });
    await world.publishRefunding({ refundId, orderId: order.id, amount: 700 });
    await waitFor(async () => (await row(refundId))?.status === 'outcome_unknown', { what: 'the refund to be parked', timeoutMs: 20_000 });
    await world.faults({});
    const post = (body: unknown) =>
      world.api(`/v1/admin/provider-refunds/${refundId}/resolve`, { method: 'POST', token: admin, body: JSON.stringify(body) });
    expect((await post({ outcome: 'maybe', note: 'x' })).status).toBe(400);
    const resolved = await post({ outcome: 'succeeded', providerRefundId: 're_seen_in_dashboard', note: 'paid on the dashboard at 10:02' });
    expect(resolved.status).toBe(200);
    expect(await json(resolved)).toMatchObject({ status: 'succeeded', providerRefundId: 're_seen_in_dashboard' });
    const event = await world.waitForEvent('payment.refund_succeeded', (p) => p.refundId === refundId);
    expect(event.payload).toMatchObject({ amount: 700, providerRefundId: 're_seen_in_dashboard' });
    const again = await post({ outcome: 'failed', note: 'changed my mind' });
    expect([again.status, (await json(again)).error.code]).toEqual([409, 'provider_refund_not_unknown']);
    expect((await world.api(`/v1/admin/provider-refunds/ref_nope/sync`, { method: 'POST', token: admin })).status).toBe(404);
  });
});

describe('payment-service: the last attempt of a provider refund looks it up first', () => {
  const world = new PaymentWorld();
  const customer = tokenFor('customer', 'cus-1');

  beforeAll(() => world.start({ PROVIDER_REFUND_MAX_ATTEMPTS: '3', PROVIDER_REFUND_BACKOFF_MS: '400', PROVIDER_REFUND_MAX_BACKOFF_MS: '400' }));
  afterAll(() => world.stop());
  afterEach(() => world.faults({}));

  it('settles from that look-up a refund the provider did make while every answer was lost: paid once', async () => {
    const order = world.addOrder({ totalAmount: 3000 });
    const payment = await json(await world.api('/v1/payments', { method: 'POST', token: customer, body: JSON.stringify({ orderId: order.id }) }));
    await world.stripe.paymentIntents.confirm(payment.providerPaymentId, { payment_method: 'pm_card_visa' });
    await world.waitForEvent('payment.succeeded', (p) => p.paymentId === payment.id);
    const refundId = `ref_${randomUUID()}`;
    // made at the provider under another key (the first answer lost with it), and its notification lost too
    await world.faults({ dropWebhooks: true });
    const made = await world.stripe.refunds.create({ payment_intent: payment.providerPaymentId, amount: 900, metadata: { refundId, attempt: '1' } });
    // the create calls fail (as the lost answers did) but a list answers: only the look-up can settle it
    await world.faults({ dropWebhooks: true, errorRate: 1 });
    await world.publishRefunding({ refundId, orderId: order.id, amount: 900 });
    const attempts = async () => (await world.dataSource.query(`SELECT attempts, status FROM outbound_calls WHERE key = $1`, [`${refundId}:1`]))[0];
    await waitFor(async () => (await attempts())?.attempts === 2 && (await attempts()).status === 'due', { what: 'two failed attempts', intervalMs: 20 });
    await world.faults({ dropWebhooks: true });
    const event = await world.waitForEvent('payment.refund_succeeded', (p) => p.refundId === refundId, 'the refund settled from the look-up');
    expect(event.payload.providerRefundId).toBe(made.id);
    await sleep(300);
    expect((await world.stripe.refunds.list({ payment_intent: payment.providerPaymentId })).data).toHaveLength(1);
  });
});
