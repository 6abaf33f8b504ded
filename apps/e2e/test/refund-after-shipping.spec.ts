import { waitFor } from '@ebb/testing';
import { admin, platformForTests, paidOrder, refundReaches, support } from './client';

/** A shipped order's refund through all six services: the carrier, the return, the inspection, the stock. */
describe('refund an order after it shipped (all six services)', () => {
  const world = platformForTests();

  const ship = async (orderId: string, trackingNumber: string) => {
    const shipped = await world.client.request('order', 'POST', `/v1/orders/${orderId}/shipments`, { token: admin(), body: { carrier: 'dhl', trackingNumber } });
    expect(shipped.status).toBe(201);
  };
  const onHand = async (sku: string) => (await world.client.request('inventory', 'GET', `/v1/stock/${sku}`, { token: admin() })).body.onHand;
  const statuses = (refund: { history: { status: string }[] }) => refund.history.map((entry) => entry.status);
  const mailSubjects = async (email: string) =>
    (await world.client.request('sandbox', 'GET', `/__sandbox/mail?to=${encodeURIComponent(email)}`)).body.items.map((item: { subject: string }) => item.subject);

  it('stops a parcel in transit refunded whole with the carrier, pays the refund at once and puts the goods back on hand', async () => {
    const order = await paidOrder(world.client, [{ quantity: 2, unitAmount: 1500 }]);
    await ship(order.orderId, `TRK-${order.orderId}`);
    const sku = order.lines[0].sku;
    expect(await onHand(sku)).toBe(98);

    const requested = await world.client.request('refund', 'POST', '/v1/refunds', {
      token: order.token,
      body: { orderId: order.orderId, reason: 'requested_by_customer' },
    });
    expect(requested.status).toBe(201);
    const refund = await refundReaches(world.client, requested.body.id, ['succeeded', 'failed'], order.token);
    expect(refund).toMatchObject({ status: 'succeeded', amount: 3000 });
    expect(statuses(refund)).toEqual(['requested', 'approved', 'intercepting', 'refunding', 'succeeded']);

    // the stopped parcel comes back: both units are on hand again, once
    await waitFor(async () => (await onHand(sku)) === 100, { what: 'the intercepted units back on hand' });
    const paid = await waitFor(async () => {
      const current = (await world.client.request('order', 'GET', `/v1/orders/${order.orderId}`, { token: order.token })).body;
      return current.refundedAmount === 3000 && current;
    });
    expect(paid).toMatchObject({ paymentStatus: 'refunded' });
    await waitFor(async () => (await mailSubjects(order.email)).some((subject: string) => /stop the parcel/i.test(subject)), {
      what: 'the interception e-mail',
    });
    expect(await onHand(sku)).toBe(100);
  });

  it('waits for a parcel too late to stop, pays only after it came back and passed inspection, then restocks it', async () => {
    const order = await paidOrder(world.client, [{ quantity: 1, unitAmount: 4200 }]);
    await ship(order.orderId, `TRK-${order.orderId}-LATE`);
    const sku = order.lines[0].sku;
    const requested = await world.client.request('refund', 'POST', '/v1/refunds', { token: order.token, body: { orderId: order.orderId, reason: 'damaged' } });
    expect(requested.status).toBe(201);
    const waiting = await refundReaches(world.client, requested.body.id, ['awaiting_return'], order.token);
    expect(statuses(waiting)).toEqual(['requested', 'approved', 'intercepting', 'awaiting_return']);

    // nothing is paid while the parcel is on its way back
    const before = await world.client.request('payment', 'GET', `/v1/payments/${order.paymentId}`, { token: order.token });
    expect(before.body.refundedAmount).toBe(0);
    const early = await world.client.request('refund', 'POST', `/v1/refunds/${waiting.id}/inspection`, { token: support(), body: { result: 'passed' } });
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: 'invalid_refund_transition', details: { from: 'awaiting_return', action: 'pass_inspection' } });

    expect((await world.client.request('refund', 'POST', `/v1/refunds/${waiting.id}/return-received`, { token: support() })).body.status).toBe('inspecting');
    const passed = await world.client.request('refund', 'POST', `/v1/refunds/${waiting.id}/inspection`, { token: support(), body: { result: 'passed', note: 'unused' } });
    expect(passed.status).toBe(200);
    const refund = await refundReaches(world.client, waiting.id, ['succeeded', 'failed'], order.token);
    expect(refund.status).toBe('succeeded');
    await waitFor(async () => (await onHand(sku)) === 100, { what: 'the returned unit back on hand' });
    const after = await world.client.request('payment', 'GET', `/v1/payments/${order.paymentId}`, { token: order.token });
    expect(after.body.refundedAmount).toBe(4200);
    await waitFor(
      async () => {
        const subjects = await mailSubjects(order.email);
        return [/send back your parcel/i, /being inspected/i].every((pattern) => subjects.some((subject: string) => pattern.test(subject)));
      },
      { what: 'the return and inspection e-mails' },
    );
  });

  it('rejects a delivered order’s return that failed inspection: no money moves, no stock comes back, the amount is refundable again', async () => {
    const order = await paidOrder(world.client, [{ quantity: 1, unitAmount: 3000 }]);
    await ship(order.orderId, `TRK-${order.orderId}`);
    expect((await world.client.request('order', 'POST', `/v1/orders/${order.orderId}/delivery`, { token: admin() })).status).toBe(200);
    const sku = order.lines[0].sku;

    const requested = await world.client.request('refund', 'POST', '/v1/refunds', { token: order.token, body: { orderId: order.orderId, reason: 'not_as_described' } });
    expect(requested.body.status).toBe('awaiting_return');
    await world.client.request('refund', 'POST', `/v1/refunds/${requested.body.id}/return-received`, { token: support() });
    const failed = await world.client.request('refund', 'POST', `/v1/refunds/${requested.body.id}/inspection`, {
      token: support(),
      body: { result: 'failed', note: 'worn and washed' },
    });
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ status: 'rejected' });
    expect(statuses(failed.body)).toEqual(['requested', 'approved', 'awaiting_return', 'inspecting', 'rejected']);

    await waitFor(async () => (await mailSubjects(order.email)).some((subject: string) => /declined|rejected/i.test(subject)), { what: 'the rejection e-mail' });
    expect(await onHand(sku)).toBe(99);
    expect((await world.client.request('payment', 'GET', `/v1/payments/${order.paymentId}`, { token: order.token })).body.refundedAmount).toBe(0);
    // the rejected amount no longer counts: the whole order can be asked for again
    const again = await world.client.request('refund', 'POST', '/v1/refunds', { token: order.token, body: { orderId: order.orderId, amount: 3000, reason: 'other' } });
    expect(again.status).toBe(201);
  });
});
