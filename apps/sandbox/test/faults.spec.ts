import { sleep, waitFor } from '@ebb/testing';
import Stripe from 'stripe';
import { type TestSandbox, paidIntent, startTestSandbox } from './sandbox-harness';

const objectId = (event: Stripe.Event) => (event.data.object as { id: string }).id;

describe('sandbox fault injection and webhook delivery', () => {
  let sandbox: TestSandbox;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });

  afterEach(async () => {
    sandbox.receiver.answer = () => 200;
    await sandbox.call('DELETE', '/__sandbox/faults');
  });

  afterAll(async () => {
    await sandbox.close();
  });

  it('answers the active faults, with what a POST leaves out off, and resets them on DELETE', async () => {
    const set = await sandbox.call('POST', '/__sandbox/faults', { latencyMs: 10, duplicateWebhooks: true });
    expect(set).toEqual({ status: 200, body: { latencyMs: 10, errorRate: 0, duplicateWebhooks: true, reorderWebhooks: false, dropWebhooks: false, refundFailures: true, carrierLatencyMs: 0, notifyDelayMs: 0 } });
    const reset = await sandbox.call('DELETE', '/__sandbox/faults');
    expect(reset.body).toEqual({ latencyMs: 0, errorRate: 0, duplicateWebhooks: false, reorderWebhooks: false, dropWebhooks: false, refundFailures: true, carrierLatencyMs: 0, notifyDelayMs: 0 });
  });

  it('refuses a fault setting out of range with a 400 validation_error and keeps the faults as they were', async () => {
    await sandbox.call('POST', '/__sandbox/faults', { duplicateWebhooks: true });
    const refused = await sandbox.call('POST', '/__sandbox/faults', { errorRate: 1.5, bogus: 1 });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'validation_error', details: expect.arrayContaining([expect.objectContaining({ field: 'errorRate' })]) });
    expect((await sandbox.call('GET', '/__sandbox/faults')).body).toMatchObject({ duplicateWebhooks: true, errorRate: 0 });
  });

  it('sends no webhook at all while dropWebhooks is on, as a provider whose notifications are lost', async () => {
    await sandbox.call('POST', '/__sandbox/faults', { dropWebhooks: true });
    const intent = await paidIntent(sandbox.stripe);
    await sleep(500);
    expect(sandbox.receiver.events.filter((event) => objectId(event) === intent.id)).toEqual([]);
    const deliveries = (await sandbox.call('GET', `/__sandbox/webhooks?objectId=${intent.id}`)).body.items;
    expect(deliveries.map((d: { status: string }) => d.status)).toEqual(['dropped']);
  });

  it('sends each webhook twice, with the same event id, when duplicateWebhooks is on', async () => {
    await sandbox.call('POST', '/__sandbox/faults', { duplicateWebhooks: true });
    const intent = await paidIntent(sandbox.stripe);
    const copies = await waitFor(() => {
      const found = sandbox.receiver.events.filter((e) => objectId(e) === intent.id);
      return found.length === 2 && found;
    });
    expect(copies[0].id).toBe(copies[1].id);
  });

  it('holds webhooks briefly and sends them in reverse order when reorderWebhooks is on', async () => {
    await sandbox.call('POST', '/__sandbox/faults', { reorderWebhooks: true });
    const intent = await paidIntent(sandbox.stripe);
    const refund = await sandbox.stripe.refunds.create({ payment_intent: intent.id });
    const ours = () => sandbox.receiver.events.filter((e) => objectId(e) === intent.id || objectId(e) === refund.id);
    await waitFor(() => ours().length === 2, { what: 'both webhooks' });
    // the refund settled (and was announced) after the payment, yet arrives first
    expect(ours().map((e) => e.type)).toEqual(['refund.updated', 'payment_intent.succeeded']);
  });

  it('answers the errorRate share of API calls with a 500 api_error, which is not kept under the idempotency key', async () => {
    await sandbox.call('POST', '/__sandbox/faults', { errorRate: 1 });
    const error = await sandbox.stripe.paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey: 'flaky-1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(error).toMatchObject({ statusCode: 500, type: 'StripeAPIError' });

    await sandbox.call('POST', '/__sandbox/faults', { errorRate: 0 });
    const retried = await sandbox.stripe.paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey: 'flaky-1' });
    expect(retried.status).toBe('requires_payment_method');
    expect(retried.lastResponse.headers['idempotent-replayed']).toBeUndefined();
  });

  it('lets the SDK retries get through a partial error rate', async () => {
    await sandbox.call('POST', '/__sandbox/faults', { errorRate: 0.3 });
    const patient = new Stripe('sk_test_ebb_local', { host: '127.0.0.1', port: sandbox.port, protocol: 'http', maxNetworkRetries: 8 });
    // with retries after each injected 500 (same key), each create ends with exactly one intent
    const intents = await Promise.all(Array.from({ length: 10 }, (_, i) => patient.paymentIntents.create({ amount: 100 + i, currency: 'usd' })));
    expect(new Set(intents.map((i) => i.id)).size).toBe(10);
  });

  it('delays every API answer by latencyMs', async () => {
    await sandbox.call('POST', '/__sandbox/faults', { latencyMs: 300 });
    const started = Date.now();
    await sandbox.stripe.paymentIntents.create({ amount: 100, currency: 'usd' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('slows the carrier alone by carrierLatencyMs: Stripe calls answer at once, an interception waits', async () => {
    await sandbox.call('POST', '/__sandbox/faults', { carrierLatencyMs: 400 });
    const stripeStarted = Date.now();
    await sandbox.stripe.paymentIntents.create({ amount: 100, currency: 'usd' });
    expect(Date.now() - stripeStarted).toBeLessThan(300);

    const carrierStarted = Date.now();
    const intercepted = await sandbox.call('POST', '/carrier/v1/interceptions', { carrier: 'dhl', trackingNumber: 'JD-SLOW' });
    expect(Date.now() - carrierStarted).toBeGreaterThanOrEqual(390);
    expect(intercepted).toEqual({ status: 200, body: { status: 'intercepted' } });
  });

  it('refuses a carrierLatencyMs out of range with a 400 validation_error', async () => {
    const refused = await sandbox.call('POST', '/__sandbox/faults', { carrierLatencyMs: -1 });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'carrierLatencyMs' })]));
  });

  it('retries a webhook with backoff while the receiver answers non-2xx, until it is accepted', async () => {
    let refusals = 2;
    sandbox.receiver.answer = () => (refusals-- > 0 ? 503 : 200);
    const intent = await paidIntent(sandbox.stripe);
    await waitFor(() => sandbox.receiver.events.some((e) => objectId(e) === intent.id), { what: 'the webhook after two refusals' });
    const { body } = await sandbox.call('GET', `/__sandbox/webhooks?objectId=${intent.id}`);
    expect(body.items).toEqual([expect.objectContaining({ type: 'payment_intent.succeeded', status: 'delivered', attempts: 3, responseStatus: 200 })]);
  });

  it('gives a webhook up after the last retry and lists it as failed', async () => {
    sandbox.receiver.answer = () => 500;
    const intent = await paidIntent(sandbox.stripe);
    const failed = await waitFor(async () => {
      const { body } = await sandbox.call('GET', `/__sandbox/webhooks?objectId=${intent.id}`);
      return body.items[0]?.status === 'failed' && body.items[0];
    });
    // one attempt and one per configured retry delay (50,100,200)
    expect(failed).toMatchObject({ attempts: 4, responseStatus: 500, lastError: 'answered 500' });
    await sleep(300);
    expect(sandbox.receiver.events.some((e) => objectId(e) === intent.id)).toBe(false);
  });
});
