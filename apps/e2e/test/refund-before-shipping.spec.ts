import { tokenFor, waitFor } from '@ebb/testing';
import { ok } from '@ebb/api-client';
import { admin, platformForTests, paidOrder, refundReaches } from './client';

describe('pay for an order, refund it before it ships (all six services)', () => {
  const world = platformForTests();

  it('refunds one of two lines: same key same refund, other body 409, succeeded, order, stock and e-mail follow', async () => {
    const order = await paidOrder(world.client, [
      { quantity: 1, unitAmount: 2500 },
      { quantity: 2, unitAmount: 1000 },
    ]);
    const refunds = world.client.typed('refund', order.token);
    const body = { orderId: order.orderId, items: [{ sku: order.lines[0].sku, quantity: 1 }], reason: 'damaged' as const };
    const params = { header: { 'Idempotency-Key': `refund-${order.orderId}` } };
    const first = await refunds.POST('/v1/refunds', { body, params });
    expect(first.response.status).toBe(201);
    expect(first.data).toMatchObject({ orderId: order.orderId, amount: 2500, currency: 'EUR', reason: 'damaged' });
    const refundId = first.data!.id;

    const again = await refunds.POST('/v1/refunds', { body, params });
    expect(again.response.status).toBe(201);
    expect(again.data?.id).toBe(refundId);
    const other = await refunds.POST('/v1/refunds', { body: { ...body, reason: 'wrong_item' }, params });
    expect(other.response.status).toBe(409);
    expect(other.error?.error.code).toBe('idempotency_key_reused');

    const refund = await refundReaches(world.client, refundId, ['succeeded', 'failed'], order.token);
    expect(refund.status).toBe('succeeded');
    expect(refund.history.map((entry) => entry.status)).toEqual(expect.arrayContaining(['approved', 'refunding', 'succeeded']));

    const orders = world.client.typed('order', order.token);
    const settled = await waitFor(async () => {
      const current = await ok(orders.GET('/v1/orders/{id}', { params: { path: { id: order.orderId } } }));
      return current.refundedAmount === 2500 && current;
    }, { what: 'the order to show the refund' });
    expect(settled.paymentStatus).toBe('partially_refunded');

    // the goods never left: the refunded mug is back on hand, the other line stays sold
    const stock = (sku: string) => ok(world.client.typed('inventory', admin()).GET('/v1/stock/{sku}', { params: { path: { sku } } }));
    await waitFor(async () => (await stock(order.lines[0].sku)).onHand === 100, {
      what: 'the refunded line to be back in stock',
    });
    expect(await stock(order.lines[1].sku)).toMatchObject({ onHand: 98, reserved: 0 });

    // the sandbox's SMTP sink is a test fixture, outside the public API: read raw
    const mail = await waitFor(async () => {
      const inbox = await world.client.request('sandbox', 'GET', `/__sandbox/mail?to=${encodeURIComponent(order.email)}`);
      const found = inbox.body.items.filter((item: { text: string; subject: string }) => `${item.subject} ${item.text}`.includes(refundId));
      return found.some((item: { subject: string }) => /succeeded|refunded/i.test(item.subject)) && found;
    }, { what: 'the refund e-mail in the SMTP sink' });
    expect(mail.length).toBeGreaterThan(0);
  });

  it('accepts exactly one of 50 concurrent full refunds of one order, and the provider refunds once', async () => {
    const order = await paidOrder(world.client, [{ quantity: 1, unitAmount: 4000 }]);
    const refunds = world.client.typed('refund', order.token);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => refunds.POST('/v1/refunds', { body: { orderId: order.orderId, reason: 'requested_by_customer' } })),
    );
    const accepted = answers.filter((answer) => answer.response.status === 201);
    expect(accepted).toHaveLength(1);
    for (const refused of answers.filter((answer) => answer.response.status !== 201)) expect([409, 422]).toContain(refused.response.status);
    await refundReaches(world.client, accepted[0].data!.id, ['succeeded']);
    const provider = await world.client.stripe().refunds.list({ payment_intent: order.providerPaymentId, limit: 100 });
    expect(provider.data).toHaveLength(1);
    const settled = await waitFor(async () => {
      const current = await ok(world.client.typed('order', order.token).GET('/v1/orders/{id}', { params: { path: { id: order.orderId } } }));
      return current.paymentStatus === 'refunded' && current;
    }, { what: 'the order to be refunded' });
    expect(settled.refundedAmount).toBe(settled.capturedAmount);
  });

  it('accepts exactly 16 of 20 concurrent refunds of 300 on an order of 5000', async () => {
    const order = await paidOrder(world.client, [{ quantity: 1, unitAmount: 5000 }]);
    const refunds = world.client.typed('refund', order.token);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => refunds.POST('/v1/refunds', { body: { orderId: order.orderId, amount: 300, reason: 'goodwill' } })),
    );
    expect(answers.filter((answer) => answer.response.status === 201)).toHaveLength(16);
    for (const refused of answers.filter((answer) => answer.response.status !== 201)) expect([409, 422]).toContain(refused.response.status);
    await waitFor(async () => {
      const current = await ok(world.client.typed('order', order.token).GET('/v1/orders/{id}', { params: { path: { id: order.orderId } } }));
      return current.refundedAmount === 4800;
    }, { what: '4800 to be refunded', timeoutMs: 30000 });
  });

  it('never captures an order paid with a declined card, and refuses to refund it', async () => {
    const order = await paidOrder(world.client, [{ quantity: 1, unitAmount: 1500 }], { paymentMethod: 'pm_card_chargeDeclined', waitForCapture: false });
    const payment = () => ok(world.client.typed('payment', order.token).GET('/v1/payments/{id}', { params: { path: { id: order.paymentId } } }));
    await waitFor(async () => (await payment()).status === 'failed', {
      what: 'the payment to fail',
    });
    expect(await ok(world.client.typed('order', order.token).GET('/v1/orders/{id}', { params: { path: { id: order.orderId } } }))).toMatchObject({
      paymentStatus: 'pending',
      capturedAmount: 0,
    });
    const refund = await world.client.typed('refund', order.token).POST('/v1/refunds', { body: { orderId: order.orderId, reason: 'requested_by_customer' } });
    expect(refund.response.status).toBe(409);
    expect(refund.error?.error.code).toBe('order_not_refundable');
  });

  it('refuses bad refund requests with their status and code, changing nothing', async () => {
    const order = await paidOrder(world.client, [{ quantity: 2, unitAmount: 1000 }]);
    // raw on purpose: several of these bodies break the contract (a string amount, an unknown reason), which the typed client would not send
    const post = (body: unknown, token: string | null = order.token) => world.client.request('refund', 'POST', '/v1/refunds', { token: token ?? undefined, body });
    const base = { orderId: order.orderId, reason: 'damaged' };
    const cases: [string, Promise<{ status: number; body: any }>, number, string][] = [
      ['missing orderId', post({ reason: 'damaged' }), 400, 'validation_error'],
      ['unknown orderId', post({ ...base, orderId: 'ord_does_not_exist' }), 404, 'order_not_found'],
      ['negative amount', post({ ...base, amount: -1 }), 400, 'validation_error'],
      ['zero amount', post({ ...base, amount: 0 }), 400, 'validation_error'],
      ['fractional amount', post({ ...base, amount: 10.5 }), 400, 'validation_error'],
      ['string amount', post({ ...base, amount: '100' }), 400, 'validation_error'],
      ['amount above refundable', post({ ...base, amount: 999999 }), 422, 'amount_exceeds_refundable'],
      ['unknown reason', post({ ...base, reason: 'because' }), 400, 'validation_error'],
      ['quantity above ordered', post({ ...base, items: [{ sku: order.lines[0].sku, quantity: 3 }] }), 422, 'quantity_exceeds_ordered'],
      ['no token', post(base, null), 401, 'unauthorized'],
      ['another customer', post(base, tokenFor('customer', 'someone-else')), 404, 'order_not_found'],
    ];
    for (const [name, answer, status, code] of cases) {
      const { status: got, body } = await answer;
      expect({ name, status: got, code: body?.error?.code }).toEqual({ name, status, code });
    }
    const unknownSku = await post({ ...base, items: [{ sku: 'NO-SUCH-SKU', quantity: 1 }] });
    expect([400, 422]).toContain(unknownSku.status);
    // raw bodies the typed client cannot send: one that is not JSON, one above the size limit
    const malformed = await world.client.request('refund', 'POST', '/v1/refunds', { token: order.token, raw: '{"orderId": ' });
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'malformed_json']);
    const huge = await world.client.request('refund', 'POST', '/v1/refunds', { token: order.token, raw: JSON.stringify({ ...base, note: 'x'.repeat(2 * 1024 * 1024) }) });
    expect([huge.status, huge.body.error.code]).toEqual([413, 'payload_too_large']);

    const list = await ok(world.client.typed('refund', admin()).GET('/v1/refunds', { params: { query: { orderId: order.orderId } } }));
    expect(list.items).toEqual([]);
  });

  it('applies duplicated and reordered webhooks once, and refuses a forged one', async () => {
    // the sandbox's fault injection is a test fixture, outside the public API: sent raw
    const faults = await world.client.request('sandbox', 'POST', '/__sandbox/faults', { body: { duplicateWebhooks: true, reorderWebhooks: true } });
    expect(faults.status).toBe(200);
    try {
      const order = await paidOrder(world.client, [{ quantity: 1, unitAmount: 2200 }]);
      const refund = await world.client.typed('refund', order.token).POST('/v1/refunds', { body: { orderId: order.orderId, amount: 700, reason: 'goodwill' } });
      expect(refund.response.status).toBe(201);
      await refundReaches(world.client, refund.data!.id, ['succeeded']);
      const orderNow = () => ok(world.client.typed('order', order.token).GET('/v1/orders/{id}', { params: { path: { id: order.orderId } } }));
      await waitFor(async () => (await orderNow()).refundedAmount === 700, {
        what: 'the refund on the order',
      });
      // let every duplicate arrive, then check nothing counted twice
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(await orderNow()).toMatchObject({
        capturedAmount: 2200,
        refundedAmount: 700,
      });
      expect(await ok(world.client.typed('payment', order.token).GET('/v1/payments/{id}', { params: { path: { id: order.paymentId } } }))).toMatchObject({
        status: 'succeeded',
        capturedAmount: 2200,
        refundedAmount: 700,
      });
    } finally {
      await world.client.request('sandbox', 'DELETE', '/__sandbox/faults');
    }

    const forged = await fetch(`${world.platform.url('payment')}/v1/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` },
      body: JSON.stringify({ id: 'evt_forged', object: 'event', type: 'payment_intent.succeeded', data: { object: { id: 'pi_forged' } } }),
    });
    expect(forged.status).toBe(400);
    const again = await fetch(`${world.platform.url('payment')}/v1/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(again.status).toBe(400);
  });

  it('ends a refund of a pm_card_refundFail payment failed with a reason, tells the customer, and an admin retry succeeds once', async () => {
    const order = await paidOrder(world.client, [{ quantity: 1, unitAmount: 1800 }], { paymentMethod: 'pm_card_refundFail' });
    const created = await world.client.typed('refund', order.token).POST('/v1/refunds', { body: { orderId: order.orderId, reason: 'not_as_described' } });
    expect(created.response.status).toBe(201);
    const refundId = created.data!.id;
    const failed = await refundReaches(world.client, refundId, ['failed', 'succeeded'], order.token);
    expect(failed.status).toBe('failed');
    expect(failed.failureReason).toBeTruthy();
    await waitFor(async () => {
      const inbox = await world.client.request('sandbox', 'GET', `/__sandbox/mail?to=${encodeURIComponent(order.email)}`);
      return inbox.body.items.some((item: { subject: string; text: string }) => /could not be paid/i.test(item.subject) && item.text.includes(refundId));
    }, { what: 'the failure e-mail' });

    const retry = (token: string) => world.client.typed('refund', token).POST('/v1/refunds/{id}/retry', { params: { path: { id: refundId } } });
    const customerRetry = await retry(order.token);
    expect(customerRetry.response.status).toBe(403);
    await world.client.request('sandbox', 'POST', '/__sandbox/faults', { body: { refundFailures: false } });
    try {
      const retried = await retry(admin());
      expect(retried.response.status).toBe(200);
      const done = await refundReaches(world.client, refundId, ['succeeded', 'failed'], order.token);
      expect(done.status).toBe('succeeded');
      const provider = await world.client.stripe().refunds.list({ payment_intent: order.providerPaymentId, limit: 100 });
      expect(provider.data.filter((refund) => refund.status === 'succeeded')).toHaveLength(1);
      const orderNow = () => ok(world.client.typed('order', order.token).GET('/v1/orders/{id}', { params: { path: { id: order.orderId } } }));
      await waitFor(async () => (await orderNow()).refundedAmount === 1800, {
        what: 'the order to count the retried refund once',
      });
    } finally {
      await world.client.request('sandbox', 'DELETE', '/__sandbox/faults');
    }
  });

  it('serves each service\'s OpenAPI document at /docs-json and its browser at /docs', async () => {
    const expected: Record<string, string> = { order: '/v1/orders', payment: '/v1/payments', refund: '/v1/refunds', inventory: '/v1/products', notification: '/v1/notifications' };
    for (const [app, path] of Object.entries(expected)) {
      // the document itself is not a route of the document: read raw
      const document = await world.client.request(app as never, 'GET', '/docs-json');
      expect({ app, status: document.status, openapi: document.body.openapi }).toEqual({ app, status: 200, openapi: '3.1.0' });
      expect(Object.keys(document.body.paths)).toContain(path);
      expect((await fetch(`${world.platform.url(app as never)}/docs`)).status).toBe(200);
    }
  });

  it('exports refund latency and outcomes from refund-service, and provider call latency from payment-service', async () => {
    const refunds = await (await fetch(`${world.platform.url('refund')}/metrics`)).text();
    expect(refunds).toMatch(/^refund_process_duration_seconds_bucket\{[^}]*le="0.1"[^}]*outcome="succeeded"[^}]*\} \d+/m);
    expect(refunds).toMatch(/^refund_process_duration_seconds_count\{[^}]*outcome="succeeded"[^}]*\} [1-9]/m);
    expect(refunds).toMatch(/^refunds_total\{[^}]*outcome="succeeded"[^}]*\} [1-9]/m);
    expect(refunds).toMatch(/^refunds_total\{[^}]*outcome="failed"[^}]*\} [1-9]/m);
    expect(refunds).toMatch(/^refund_request_to_provider_seconds_count\{[^}]*\} [1-9]/m);
    const payments = await (await fetch(`${world.platform.url('payment')}/metrics`)).text();
    expect(payments).toMatch(/^provider_request_duration_seconds_count\{[^}]*operation="[a-z_.]*refund[a-z_.]*"[^}]*\} [1-9]/m);
  });
});
