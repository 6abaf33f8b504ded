import { ok } from '@ebb/api-client';
import { waitFor } from '@ebb/testing';
import { admin, platformForTests, paidOrder, refundReaches, support } from './client';

/** A shipped order's refund through all six services: the carrier, the return, the inspection, the stock. */
describe('refund an order after it shipped (all six services)', () => {
  const world = platformForTests();

  const ship = async (orderId: string, trackingNumber: string) => {
    const shipped = await world.client.typed('order', admin()).POST('/v1/orders/{id}/shipments', { params: { path: { id: orderId } }, body: { carrier: 'dhl', trackingNumber } });
    expect(shipped.response.status).toBe(201);
  };
  const onHand = async (sku: string) => (await ok(world.client.typed('inventory', admin()).GET('/v1/stock/{sku}', { params: { path: { sku } } }))).onHand;
  const statuses = (refund: { history: { status: string }[] }) => refund.history.map((entry) => entry.status);
  const refundedByPayment = async (token: string, id: string) =>
    (await ok(world.client.typed('payment', token).GET('/v1/payments/{id}', { params: { path: { id } } }))).refundedAmount;
  // the sandbox's SMTP sink is a test fixture, outside the public API: read raw
  const mailSubjects = async (email: string) =>
    (await world.client.request('sandbox', 'GET', `/__sandbox/mail?to=${encodeURIComponent(email)}`)).body.items.map((item: { subject: string }) => item.subject);

  it('stops a parcel in transit refunded whole with the carrier, pays the refund at once and puts the goods back on hand', async () => {
    const order = await paidOrder(world.client, [{ quantity: 2, unitAmount: 1500 }]);
    await ship(order.orderId, `TRK-${order.orderId}`);
    const sku = order.lines[0].sku;
    expect(await onHand(sku)).toBe(98);

    const requested = await world.client.typed('refund', order.token).POST('/v1/refunds', { body: { orderId: order.orderId, reason: 'requested_by_customer' } });
    expect(requested.response.status).toBe(201);
    const refund = await refundReaches(world.client, requested.data!.id, ['succeeded', 'failed'], order.token);
    expect(refund).toMatchObject({ status: 'succeeded', amount: 3000 });
    expect(statuses(refund)).toEqual(['requested', 'approved', 'intercepting', 'refunding', 'succeeded']);

    // the stopped parcel comes back: both units are on hand again, once
    await waitFor(async () => (await onHand(sku)) === 100, { what: 'the intercepted units back on hand' });
    const paid = await waitFor(async () => {
      const current = await ok(world.client.typed('order', order.token).GET('/v1/orders/{id}', { params: { path: { id: order.orderId } } }));
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
    const requested = await world.client.typed('refund', order.token).POST('/v1/refunds', { body: { orderId: order.orderId, reason: 'damaged' } });
    expect(requested.response.status).toBe(201);
    const waiting = await refundReaches(world.client, requested.data!.id, ['awaiting_return'], order.token);
    expect(statuses(waiting)).toEqual(['requested', 'approved', 'intercepting', 'awaiting_return']);

    // nothing is paid while the parcel is on its way back
    expect(await refundedByPayment(order.token, order.paymentId)).toBe(0);
    const asSupport = world.client.typed('refund', support());
    const path = { path: { id: waiting.id } };
    const early = await asSupport.POST('/v1/refunds/{id}/inspection', { params: path, body: { result: 'passed' } });
    expect(early.response.status).toBe(409);
    expect(early.error?.error).toMatchObject({ code: 'invalid_refund_transition', details: { from: 'awaiting_return', action: 'pass_inspection' } });

    expect((await ok(asSupport.POST('/v1/refunds/{id}/return-received', { params: path }))).status).toBe('inspecting');
    const passed = await asSupport.POST('/v1/refunds/{id}/inspection', { params: path, body: { result: 'passed', note: 'unused' } });
    expect(passed.response.status).toBe(200);
    const refund = await refundReaches(world.client, waiting.id, ['succeeded', 'failed'], order.token);
    expect(refund.status).toBe('succeeded');
    await waitFor(async () => (await onHand(sku)) === 100, { what: 'the returned unit back on hand' });
    expect(await refundedByPayment(order.token, order.paymentId)).toBe(4200);
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
    expect((await world.client.typed('order', admin()).POST('/v1/orders/{id}/delivery', { params: { path: { id: order.orderId } } })).response.status).toBe(200);
    const sku = order.lines[0].sku;

    const refunds = world.client.typed('refund', order.token);
    const requested = await ok(refunds.POST('/v1/refunds', { body: { orderId: order.orderId, reason: 'not_as_described' } }));
    expect(requested.status).toBe('awaiting_return');
    const asSupport = world.client.typed('refund', support());
    await ok(asSupport.POST('/v1/refunds/{id}/return-received', { params: { path: { id: requested.id } } }));
    const failed = await asSupport.POST('/v1/refunds/{id}/inspection', { params: { path: { id: requested.id } }, body: { result: 'failed', note: 'worn and washed' } });
    expect(failed.response.status).toBe(200);
    expect(failed.data).toMatchObject({ status: 'rejected' });
    expect(statuses(failed.data!)).toEqual(['requested', 'approved', 'awaiting_return', 'inspecting', 'rejected']);

    await waitFor(async () => (await mailSubjects(order.email)).some((subject: string) => /declined|rejected/i.test(subject)), { what: 'the rejection e-mail' });
    expect(await onHand(sku)).toBe(99);
    expect(await refundedByPayment(order.token, order.paymentId)).toBe(0);
    // the rejected amount no longer counts: the whole order can be asked for again
    const again = await refunds.POST('/v1/refunds', { body: { orderId: order.orderId, amount: 3000, reason: 'other' } });
    expect(again.response.status).toBe(201);
  });
});
