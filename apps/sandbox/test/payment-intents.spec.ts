import { waitFor } from '@ebb/testing';
import Stripe from 'stripe';
import { type TestSandbox, paidIntent, startTestSandbox } from './sandbox-harness';

describe('sandbox Stripe payment intents (driven by the stripe SDK)', () => {
  let sandbox: TestSandbox;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });

  afterAll(async () => {
    await sandbox.close();
  });

  it('creates an intent in Stripe shape and confirms it with pm_card_visa to succeeded', async () => {
    const created = await sandbox.stripe.paymentIntents.create({ amount: 1999, currency: 'USD', metadata: { orderId: 'ord_42', paymentId: 'pay_7' } });
    expect(created).toMatchObject({
      object: 'payment_intent',
      amount: 1999,
      currency: 'usd',
      status: 'requires_payment_method',
      metadata: { orderId: 'ord_42', paymentId: 'pay_7' },
      latest_charge: null,
      payment_method: null,
    });
    expect(created.id).toMatch(/^pi_/);
    expect(created.client_secret).toMatch(new RegExp(`^${created.id}_secret_`));
    expect(Math.abs(created.created - Date.now() / 1000)).toBeLessThan(5);

    const confirmed = await sandbox.stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_visa' });
    expect(confirmed).toMatchObject({ id: created.id, status: 'succeeded', payment_method: 'pm_card_visa', amount_received: 1999 });
    expect(confirmed.latest_charge).toMatch(/^ch_/);
    expect(await sandbox.stripe.paymentIntents.retrieve(created.id)).toMatchObject({ status: 'succeeded', latest_charge: confirmed.latest_charge });
  });

  it('sends a payment_intent.succeeded webhook that stripe.webhooks.constructEvent verifies', async () => {
    const intent = await paidIntent(sandbox.stripe);
    const event = await waitFor(() => sandbox.receiver.events.find((e) => (e.data.object as { id: string }).id === intent.id), {
      what: 'the succeeded webhook',
    });
    expect(event.id).toMatch(/^evt_/);
    expect(event).toMatchObject({ object: 'event', type: 'payment_intent.succeeded', api_version: Stripe.API_VERSION });
    expect(event.data.object).toMatchObject({ id: intent.id, status: 'succeeded', metadata: { orderId: 'ord_1', paymentId: 'pay_1' } });
    expect(sandbox.receiver.rejected).toBe(0);
    const listed = await sandbox.call('GET', `/__sandbox/webhooks?objectId=${intent.id}`);
    expect(listed.body.items).toEqual([expect.objectContaining({ eventId: event.id, status: 'delivered', attempts: 1, responseStatus: 200 })]);
  });

  it('declines pm_card_chargeDeclined with a 402 card_error and leaves the intent to be paid again', async () => {
    const intent = await sandbox.stripe.paymentIntents.create({ amount: 700, currency: 'eur' });
    const error = await sandbox.stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_chargeDeclined' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(error).toMatchObject({ statusCode: 402, type: 'StripeCardError', code: 'card_declined', decline_code: 'generic_decline' });
    expect(await sandbox.stripe.paymentIntents.retrieve(intent.id)).toMatchObject({ status: 'requires_payment_method', amount_received: 0 });

    const failed = await waitFor(() => sandbox.receiver.events.find((e) => e.type === 'payment_intent.payment_failed' && (e.data.object as { id: string }).id === intent.id));
    expect(failed.data.object).toMatchObject({ status: 'requires_payment_method', last_payment_error: { code: 'card_declined' } });

    // the customer tries another card: the same intent succeeds
    await expect(sandbox.stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' })).resolves.toMatchObject({ status: 'succeeded' });
  });

  it('refuses to confirm an intent twice, and an unknown payment method or intent', async () => {
    const intent = await paidIntent(sandbox.stripe);
    await expect(sandbox.stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' })).rejects.toMatchObject({
      statusCode: 400,
      code: 'payment_intent_unexpected_state',
    });
    const fresh = await sandbox.stripe.paymentIntents.create({ amount: 100, currency: 'usd' });
    await expect(sandbox.stripe.paymentIntents.confirm(fresh.id, { payment_method: 'pm_card_unknown' })).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      param: 'payment_method',
    });
    await expect(sandbox.stripe.paymentIntents.retrieve('pi_missing')).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  });

  it('refuses a missing or non-integer amount with a 400 naming the parameter', async () => {
    await expect(sandbox.stripe.paymentIntents.create({ currency: 'usd' } as Stripe.PaymentIntentCreateParams)).rejects.toMatchObject({
      statusCode: 400,
      code: 'parameter_missing',
      param: 'amount',
    });
    await expect(sandbox.stripe.paymentIntents.create({ amount: 19.99, currency: 'usd' })).rejects.toMatchObject({
      statusCode: 400,
      code: 'parameter_invalid_integer',
      param: 'amount',
    });
  });

  it('answers 401 in Stripe error shape without a test secret key', async () => {
    const response = await fetch(`${sandbox.url}/v1/payment_intents/pi_x`, { headers: { authorization: 'Bearer pk_live_nope' } });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: expect.objectContaining({ type: 'invalid_request_error', message: expect.any(String) }) });
    const anonymous = new Stripe('sk_live_wrong', { host: '127.0.0.1', port: sandbox.port, protocol: 'http', maxNetworkRetries: 0 });
    await expect(anonymous.paymentIntents.retrieve('pi_x')).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });

  it('replays the first answer for a repeated Idempotency-Key and refuses the key with other parameters', async () => {
    const params = { amount: 2500, currency: 'usd', metadata: { orderId: 'ord_idem' } };
    const first = await sandbox.stripe.paymentIntents.create(params, { idempotencyKey: 'idem-create-1' });
    const again = await sandbox.stripe.paymentIntents.create(params, { idempotencyKey: 'idem-create-1' });
    expect(again.id).toBe(first.id);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');

    const error = await sandbox.stripe.paymentIntents.create({ ...params, amount: 2600 }, { idempotencyKey: 'idem-create-1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(error).toMatchObject({ statusCode: 400, type: 'StripeIdempotencyError' });

    // a decline is an answer too: replayed, not charged again
    const intent = await sandbox.stripe.paymentIntents.create({ amount: 300, currency: 'usd' });
    const declined = () => sandbox.stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_chargeDeclined' }, { idempotencyKey: 'idem-decline' });
    await expect(declined()).rejects.toMatchObject({ statusCode: 402 });
    await expect(declined()).rejects.toMatchObject({ statusCode: 402, code: 'card_declined' });
    const failures = await sandbox.call('GET', `/__sandbox/webhooks?objectId=${intent.id}`);
    expect(failures.body.items).toHaveLength(1);
  });

  it('cancels an unpaid intent, and refuses to cancel a paid one', async () => {
    const open = await sandbox.stripe.paymentIntents.create({ amount: 900, currency: 'usd' });
    const canceled = await sandbox.stripe.paymentIntents.cancel(open.id, { cancellation_reason: 'abandoned' });
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    await expect(sandbox.stripe.paymentIntents.confirm(open.id, { payment_method: 'pm_card_visa' })).rejects.toMatchObject({ statusCode: 400 });

    const paid = await paidIntent(sandbox.stripe);
    await expect(sandbox.stripe.paymentIntents.cancel(paid.id)).rejects.toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
  });
});
