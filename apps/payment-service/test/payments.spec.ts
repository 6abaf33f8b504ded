import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { tokenFor, waitFor } from '@ebb/testing';
import { PaymentWorld } from './payment-world';

// response bodies are checked field by field
const json = async (response: Response): Promise<any> => response.json();

describe('payment-service: taking payments', () => {
  const world = new PaymentWorld();
  const customer = tokenFor('customer', 'cus-1');
  const support = tokenFor('support', 'agent-1');

  beforeAll(() => world.start());
  afterAll(() => world.stop());

  const createPayment = (body: unknown, token = customer, headers: Record<string, string> = {}) =>
    world.api('/v1/payments', { method: 'POST', token, headers, body: JSON.stringify(body) });
  const getPayment = async (id: string, token = customer) => json(await world.api(`/v1/payments/${id}`, { token }));
  const webhookCount = async (where = 'true') =>
    (await world.dataSource.query(`SELECT count(*)::int AS n FROM webhook_events WHERE ${where}`))[0].n as number;

  it('takes a payment: the order total goes to the provider, and the signed success webhook marks it paid and publishes payment.succeeded', async () => {
    const order = world.addOrder({ totalAmount: 2999, currency: 'EUR' });
    const response = await createPayment({ orderId: order.id, amount: 1 });
    // an amount from the caller is not a field of this request
    expect(response.status).toBe(400);

    const created = await createPayment({ orderId: order.id });
    expect(created.status).toBe(201);
    const payment = await json(created);
    expect(payment).toMatchObject({ orderId: order.id, provider: 'stripe', status: 'pending', amount: 2999, currency: 'EUR' });
    expect(payment.providerPaymentId).toMatch(/^pi_/);
    expect(payment.clientSecret).toEqual(expect.any(String));

    const intent = await world.stripe.paymentIntents.retrieve(payment.providerPaymentId);
    expect(intent).toMatchObject({ amount: 2999, currency: 'eur', metadata: { orderId: order.id, paymentId: payment.id } });

    await world.stripe.paymentIntents.confirm(payment.providerPaymentId, { payment_method: 'pm_card_visa' });
    const event = await world.waitForEvent('payment.succeeded', (p) => p.paymentId === payment.id);
    expect(event.payload).toEqual({
      paymentId: payment.id,
      orderId: order.id,
      provider: 'stripe',
      providerPaymentId: payment.providerPaymentId,
      amount: 2999,
      currency: 'EUR',
    });
    expect(await getPayment(payment.id)).toMatchObject({ status: 'succeeded', capturedAmount: 2999, refundedAmount: 0 });
    const listed = await json(await world.api(`/v1/payments?orderId=${order.id}`, { token: support }));
    expect(listed.items).toEqual([expect.objectContaining({ id: payment.id, status: 'succeeded', createdAt: expect.any(String) })]);

    // paid now: a second payment for the order is refused
    const again = await createPayment({ orderId: order.id });
    expect(again.status).toBe(409);
    expect((await json(again)).error).toMatchObject({ code: 'order_not_payable', details: { orderId: order.id, reason: 'paid' } });
  });

  it('refuses a webhook with a forged or missing signature and records nothing', async () => {
    const order = world.addOrder();
    const payment = await json(await createPayment({ orderId: order.id }));
    const before = await webhookCount();
    const body = JSON.stringify({
      id: 'evt_forged_1',
      object: 'event',
      type: 'payment_intent.succeeded',
      data: { object: { id: payment.providerPaymentId, object: 'payment_intent', amount_received: 2999, metadata: { paymentId: payment.id } } },
    });
    const forged = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_not_the_secret' });
    for (const headers of [{ 'stripe-signature': forged }, {} as Record<string, string>]) {
      const response = await world.api('/v1/webhooks/stripe', { method: 'POST', headers, body });
      expect(response.status).toBe(400);
      expect((await json(response)).error.code).toBe('invalid_signature');
    }
    // the same bytes correctly signed are accepted, so only the signature was wrong
    const tampered = body.replace('2999', '1');
    const signedOriginal = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: world.webhookSecret });
    const mismatch = await world.api('/v1/webhooks/stripe', { method: 'POST', headers: { 'stripe-signature': signedOriginal }, body: tampered });
    expect(mismatch.status).toBe(400);

    expect(await webhookCount()).toBe(before);
    expect(await getPayment(payment.id)).toMatchObject({ status: 'pending', capturedAmount: 0 });
    expect(world.eventsOf('payment.succeeded', (p) => p.paymentId === payment.id)).toEqual([]);
  });

  it('refuses a correctly signed webhook whose body is not a Stripe event, and records nothing', async () => {
    const order = world.addOrder();
    const payment = await json(await createPayment({ orderId: order.id }));
    const before = await webhookCount();
    const intent = { id: payment.providerPaymentId, object: 'payment_intent', amount_received: 2999, currency: 'usd', metadata: { paymentId: payment.id } };
    const bodies = [
      'null',
      '[]',
      '"evt"',
      JSON.stringify({ type: 'payment_intent.succeeded', data: { object: intent } }),
      JSON.stringify({ id: 'evt_no_data', type: 'payment_intent.succeeded' }),
      JSON.stringify({ id: 'evt_no_object', type: 'refund.updated', data: {} }),
      JSON.stringify({ id: 'evt_bad_amount', type: 'payment_intent.succeeded', data: { object: { ...intent, amount_received: '2999' } } }),
      JSON.stringify({ id: 'evt_bad_currency', type: 'payment_intent.succeeded', data: { object: { ...intent, currency: 7 } } }),
      JSON.stringify({ id: 'evt_bad_refund', type: 'refund.failed', data: { object: { id: 're_1', metadata: { refundId: 7 } } } }),
      // a NUL character, which PostgreSQL's text cannot hold: a 400, not a 500 (found by the public-writes property)
      JSON.stringify({ id: 'evt_nul', type: 'customer.created', data: { object: { id: '\u0000' } } }),
      JSON.stringify({ id: 'evt_nul_\u0000', type: 'payment_intent.succeeded', data: { object: intent } }),
    ];
    for (const body of bodies) {
      const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: world.webhookSecret });
      const response = await world.api('/v1/webhooks/stripe', { method: 'POST', headers: { 'stripe-signature': signature, 'content-type': 'application/json' }, body });
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      expect((await json(response)).error.code).toBe('invalid_webhook_event');
    }
    // a signed body that is not JSON at all never reaches the provider: the JSON parser refuses it
    const notJson = await world.api('/v1/webhooks/stripe', {
      method: 'POST',
      headers: { 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: '{"id":', secret: world.webhookSecret }), 'content-type': 'application/json' },
      body: '{"id":',
    });
    expect(notJson.status).toBe(400);
    expect(await webhookCount()).toBe(before);
    expect(await getPayment(payment.id)).toMatchObject({ status: 'pending', capturedAmount: 0 });
  });

  it('applies a webhook the provider delivers twice only once', async () => {
    const order = world.addOrder({ totalAmount: 5000 });
    const payment = await json(await createPayment({ orderId: order.id }));
    await world.faults({ duplicateWebhooks: true });
    try {
      await world.stripe.paymentIntents.confirm(payment.providerPaymentId, { payment_method: 'pm_card_visa' });
      const deliveries = await waitFor(async () => {
        const sent = (await world.sandboxWebhooks(payment.providerPaymentId)).filter((d) => d.type === 'payment_intent.succeeded');
        return sent.length === 2 && sent.every((d) => d.status === 'delivered') && sent;
      }, { what: 'both copies of the webhook to be delivered' });
      expect(deliveries.every((d) => d.responseStatus === 200)).toBe(true);
      expect(deliveries[0].eventId).toBe(deliveries[1].eventId);
    } finally {
      await world.faults({});
    }
    // the relay has had time to publish anything the second copy might have caused
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(world.eventsOf('payment.succeeded', (p) => p.paymentId === payment.id)).toHaveLength(1);
    expect(await webhookCount(`type = 'payment_intent.succeeded' AND payload->'data'->'object'->>'id' = '${payment.providerPaymentId}'`)).toBe(1);
    expect(await getPayment(payment.id)).toMatchObject({ status: 'succeeded', capturedAmount: 5000 });
  });

  it('marks a payment failed when the card is declined, and publishes payment.failed', async () => {
    const order = world.addOrder();
    const payment = await json(await createPayment({ orderId: order.id }));
    await expect(world.stripe.paymentIntents.confirm(payment.providerPaymentId, { payment_method: 'pm_card_chargeDeclined' })).rejects.toThrow();
    const event = await world.waitForEvent('payment.failed', (p) => p.paymentId === payment.id);
    expect(event.payload).toMatchObject({ paymentId: payment.id, orderId: order.id, provider: 'stripe', reason: expect.any(String) });
    expect(await getPayment(payment.id)).toMatchObject({ status: 'failed', capturedAmount: 0 });
  });

  it('never moves a paid payment back when a payment_failed arrives after the success', async () => {
    const order = world.addOrder();
    const payment = await json(await createPayment({ orderId: order.id }));
    await world.stripe.paymentIntents.confirm(payment.providerPaymentId, { payment_method: 'pm_card_visa' });
    await world.waitForEvent('payment.succeeded', (p) => p.paymentId === payment.id);

    const late = JSON.stringify({
      id: `evt_late_${payment.id}`,
      object: 'event',
      type: 'payment_intent.payment_failed',
      data: {
        object: {
          id: payment.providerPaymentId,
          object: 'payment_intent',
          metadata: { paymentId: payment.id, orderId: order.id },
          last_payment_error: { code: 'card_declined', message: 'Your card was declined.' },
        },
      },
    });
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: late, secret: world.webhookSecret });
    const response = await world.api('/v1/webhooks/stripe', { method: 'POST', headers: { 'stripe-signature': signature }, body: late });
    expect(response.status).toBe(200);
    expect(await getPayment(payment.id)).toMatchObject({ status: 'succeeded', capturedAmount: 2999 });
    const [logged] = await world.dataSource.query(`SELECT outcome FROM webhook_events WHERE event_id = $1`, [`evt_late_${payment.id}`]);
    expect(logged.outcome).toBe('stale');
    expect(world.eventsOf('payment.failed', (p) => p.paymentId === payment.id)).toEqual([]);
  });

  it('logs a checkout.session.completed webhook but never trusts it as payment', async () => {
    const order = world.addOrder();
    const payment = await json(await createPayment({ orderId: order.id }));
    const body = JSON.stringify({
      id: `evt_checkout_${payment.id}`,
      object: 'event',
      type: 'checkout.session.completed',
      data: { object: { id: 'cs_test_1', object: 'checkout.session', payment_intent: payment.providerPaymentId, metadata: { paymentId: payment.id } } },
    });
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: world.webhookSecret });
    const response = await world.api('/v1/webhooks/stripe', { method: 'POST', headers: { 'stripe-signature': signature }, body });
    expect(response.status).toBe(200);
    const [logged] = await world.dataSource.query(`SELECT outcome FROM webhook_events WHERE event_id = $1`, [`evt_checkout_${payment.id}`]);
    expect(logged.outcome).toBe('ignored');
    expect(await getPayment(payment.id)).toMatchObject({ status: 'pending' });
  });

  describe('refusals of POST /v1/payments', () => {
    it('lists each bad field of a malformed request as a validation error', async () => {
      const response = await createPayment({ provider: 'paypal', extra: true });
      expect(response.status).toBe(400);
      const { error } = await json(response);
      expect(error.code).toBe('validation_error');
      expect(error.details.map((d: { field: string }) => d.field).sort()).toEqual(['extra', 'orderId', 'provider']);
    });

    it('refuses a provider without an adapter with provider_not_supported', async () => {
      const order = world.addOrder();
      const response = await createPayment({ orderId: order.id, provider: 'alipay' });
      expect(response.status).toBe(422);
      expect((await json(response)).error.code).toBe('provider_not_supported');
    });

    it('answers order_not_found for an unknown order and for another customer’s order', async () => {
      const unknown = await createPayment({ orderId: 'ord_does_not_exist' });
      expect(unknown.status).toBe(404);
      expect((await json(unknown)).error.code).toBe('order_not_found');
      const someoneElses = world.addOrder({ customerId: 'cus-2' });
      const response = await createPayment({ orderId: someoneElses.id });
      expect(response.status).toBe(404);
      expect((await json(response)).error.code).toBe('order_not_found');
      // support may start the payment of any order
      expect((await createPayment({ orderId: someoneElses.id }, support)).status).toBe(201);
    });

    it('refuses a cancelled order and an order already captured with 409', async () => {
      const cancelled = world.addOrder({ status: 'cancelled' });
      const refusedCancelled = await createPayment({ orderId: cancelled.id });
      expect(refusedCancelled.status).toBe(409);
      expect((await json(refusedCancelled)).error).toMatchObject({ code: 'order_not_payable', details: { reason: 'cancelled' } });
      const captured = world.addOrder({ status: 'open', paymentStatus: 'captured', capturedAmount: 2999 });
      const refusedCaptured = await createPayment({ orderId: captured.id });
      expect(refusedCaptured.status).toBe(409);
      expect((await json(refusedCaptured)).error).toMatchObject({ code: 'order_not_payable', details: { reason: 'paid' } });
      const rows = await world.dataSource.query(`SELECT id FROM payments WHERE order_id = ANY($1)`, [[cancelled.id, captured.id]]);
      expect(rows).toEqual([]);
    });

    it('asks for a bearer token, and hides another customer’s payment', async () => {
      const anonymous = await world.api('/v1/payments', { method: 'POST', body: JSON.stringify({ orderId: 'ord_x' }) });
      expect(anonymous.status).toBe(401);
      const order = world.addOrder();
      const payment = await json(await createPayment({ orderId: order.id }));
      const other = await world.api(`/v1/payments/${payment.id}`, { token: tokenFor('customer', 'cus-2') });
      expect(other.status).toBe(404);
      expect((await json(other)).error.code).toBe('payment_not_found');
      const listed = await json(await world.api(`/v1/payments?orderId=${order.id}`, { token: tokenFor('customer', 'cus-2') }));
      expect(listed.items).toEqual([]);
    });

    it('answers a repeated Idempotency-Key with the first payment, creating one intent', async () => {
      const order = world.addOrder();
      const headers = { 'idempotency-key': `pay-${order.id}` };
      const first = await json(await createPayment({ orderId: order.id }, customer, headers));
      const second = await createPayment({ orderId: order.id }, customer, headers);
      expect(second.status).toBe(201);
      expect(await json(second)).toEqual(first);
      const rows = await world.dataSource.query(`SELECT id FROM payments WHERE order_id = $1`, [order.id]);
      expect(rows).toHaveLength(1);
    });
  });

  describe('one payment in flight per order', () => {
    const rowsOf = (orderId: string) => world.dataSource.query(`SELECT id, status, duplicate FROM payments WHERE order_id = $1 ORDER BY created_at`, [orderId]);

    it('answers the payment in flight again (200) instead of making a second one, whoever asks and however often', async () => {
      const order = world.addOrder();
      const first = await createPayment({ orderId: order.id });
      expect(first.status).toBe(201);
      const payment = await json(first);
      const again = await createPayment({ orderId: order.id }, support);
      expect(again.status).toBe(200);
      expect(await json(again)).toMatchObject({ id: payment.id, providerPaymentId: payment.providerPaymentId, status: 'pending', clientSecret: payment.clientSecret });
      // a declined card leaves it confirmable again: still the one payment
      await world.stripe.paymentIntents.confirm(payment.providerPaymentId, { payment_method: 'pm_card_chargeDeclined' }).catch(() => undefined);
      await waitFor(async () => (await getPayment(payment.id)).status === 'failed', { what: 'the decline' });
      const afterDecline = await createPayment({ orderId: order.id });
      expect(afterDecline.status).toBe(200);
      expect((await json(afterDecline)).id).toBe(payment.id);
      expect(await rowsOf(order.id)).toEqual([{ id: payment.id, status: 'failed', duplicate: false }]);
    });

    it('makes one payment of ten asked for at once', async () => {
      const order = world.addOrder();
      const answers = await Promise.all(Array.from({ length: 10 }, () => createPayment({ orderId: order.id })));
      const bodies = await Promise.all(answers.map(json));
      expect(new Set(bodies.map((body) => body.id)).size).toBe(1);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
      expect(await rowsOf(order.id)).toHaveLength(1);
      expect(new Set(bodies.map((body) => body.providerPaymentId)).size).toBe(1);
    });

    it('cancels a cancelled order’s open payment here and at the provider', async () => {
      const order = world.addOrder();
      const payment = await json(await createPayment({ orderId: order.id }));
      await world.publish('order.cancelled', { orderId: order.id, reason: 'stock not reserved' });
      await waitFor(async () => (await getPayment(payment.id)).status === 'canceled', { what: 'the payment to be cancelled' });
      await waitFor(async () => (await world.stripe.paymentIntents.retrieve(payment.providerPaymentId)).status === 'canceled', { what: 'the intent to be cancelled' });
      const history = await world.dataSource.query(`SELECT action, status, actor FROM payment_history WHERE payment_id = $1 ORDER BY id`, [payment.id]);
      expect(history).toEqual([
        { action: 'create', status: 'pending', actor: 'customer:cus-1' },
        { action: 'cancel', status: 'canceled', actor: 'order-service' },
      ]);
    });

    it('records money captured for a payment Ebb had cancelled, and hands it to the system to refund', async () => {
      const order = world.addOrder();
      const payment = await json(await createPayment({ orderId: order.id }));
      await world.publish('order.cancelled', { orderId: order.id, reason: 'stock not reserved' });
      await waitFor(async () => (await getPayment(payment.id)).status === 'canceled', { what: 'the payment to be cancelled' });
      // the provider captured it before the cancellation reached it; its success webhook arrives late
      const body = JSON.stringify({
        id: `evt_late_${payment.id}`,
        object: 'event',
        type: 'payment_intent.succeeded',
        data: { object: { id: payment.providerPaymentId, object: 'payment_intent', amount: 2999, amount_received: 2999, currency: 'usd', status: 'succeeded', metadata: { orderId: order.id, paymentId: payment.id } } },
      });
      const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: world.webhookSecret });
      const answer = await world.api('/v1/webhooks/stripe', { method: 'POST', headers: { 'stripe-signature': signature, 'content-type': 'application/json' }, body });
      expect(answer.status).toBe(200);
      const event = await world.waitForEvent('payment.duplicate_captured', (p) => p.paymentId === payment.id);
      expect(event.payload).toMatchObject({ orderId: order.id, amount: 2999, currency: 'USD', email: 'ada@example.com', cause: 'captured_after_cancel' });
      expect(await getPayment(payment.id)).toMatchObject({ status: 'succeeded', capturedAmount: 2999, duplicate: true });
      // it never counts as the order's capture
      expect(world.eventsOf('payment.succeeded', (p) => p.paymentId === payment.id)).toEqual([]);
    });

    it('records a second capture made at the provider outside Ebb as a duplicate for the system to refund', async () => {
      const order = world.addOrder();
      const payment = await json(await createPayment({ orderId: order.id }));
      await world.stripe.paymentIntents.confirm(payment.providerPaymentId, { payment_method: 'pm_card_visa' });
      await world.waitForEvent('payment.succeeded', (p) => p.paymentId === payment.id);
      // someone charges the customer again from the provider's dashboard, for the same order
      const outside = await world.stripe.paymentIntents.create({ amount: 2999, currency: 'usd', metadata: { orderId: order.id } });
      await world.stripe.paymentIntents.confirm(outside.id, { payment_method: 'pm_card_visa' });
      const event = await world.waitForEvent('payment.duplicate_captured', (p) => p.providerPaymentId === outside.id);
      expect(event.payload).toMatchObject({ orderId: order.id, amount: 2999, cause: 'second_capture', customerId: 'cus-1', email: 'ada@example.com' });
      const rows = await rowsOf(order.id);
      expect(rows).toEqual([
        { id: payment.id, status: 'succeeded', duplicate: false },
        { id: event.payload.paymentId, status: 'succeeded', duplicate: true },
      ]);
      // refund-service's refund of it goes to that payment, not the order's
      const refundId = `ref_${randomUUID()}`;
      await world.publishRefunding({ refundId, orderId: order.id, amount: 2999, paymentId: event.payload.paymentId });
      const refunded = await world.waitForEvent('payment.refund_succeeded', (p) => p.refundId === refundId);
      expect(refunded.payload.paymentId).toBe(event.payload.paymentId);
      expect((await world.stripe.refunds.list({ payment_intent: outside.id })).data).toHaveLength(1);
      expect((await world.stripe.refunds.list({ payment_intent: payment.providerPaymentId })).data).toHaveLength(0);
    });
  });

  it('measures provider calls in /metrics', async () => {
    const metrics = await (await world.api('/metrics')).text();
    expect(metrics).toMatch(/^provider_request_duration_seconds_count\{[^}]*provider="stripe"[^}]*operation="create_payment"[^}]*outcome="ok"[^}]*\} [1-9]/m);
  });
});
