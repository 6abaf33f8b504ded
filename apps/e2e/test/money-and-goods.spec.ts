import { ok } from '@ebb/api-client';
import { waitFor } from '@ebb/testing';
import { admin, paidOrder, platformForTests, refundReaches, support } from './client';

describe('money and goods never both leave (all six services)', () => {
  const world = platformForTests();
  const orderOf = (id: string) => ok(world.client.typed('order', admin()).GET('/v1/orders/{id}', { params: { path: { id } } }));
  const stockOf = (sku: string) => ok(world.client.typed('inventory', admin()).GET('/v1/stock/{sku}', { params: { path: { sku } } }));
  const ship = (id: string) =>
    world.client.typed('order', support()).POST('/v1/orders/{id}/shipments', { params: { path: { id } }, body: { carrier: 'dhl', trackingNumber: `T-${id}` } });
  const asSupport = () => world.client.typed('refund', support());

  it('never ships an order whose full refund before shipping is being paid, and puts every unit back', async () => {
    const order = await paidOrder(world.client, [
      { quantity: 2, unitAmount: 1500 },
      { quantity: 1, unitAmount: 900 },
    ]);
    const refund = await world.client.typed('refund', order.token).POST('/v1/refunds', { body: { orderId: order.orderId, reason: 'requested_by_customer' } });
    expect(refund.response.status).toBe(201);
    // the shop's warehouse tries to ship at once: refused while the refund is paid, and after (nothing is left to ship)
    const whilePaid = await ship(order.orderId);
    expect(whilePaid.response.status).toBe(409);
    expect(['order_refund_in_progress', 'order_not_shippable']).toContain(whilePaid.error?.error.code);
    await refundReaches(world.client, refund.data!.id, ['succeeded']);
    await waitFor(async () => (await orderOf(order.orderId)).paymentStatus === 'refunded', { what: 'the order to be refunded' });
    const after = await ship(order.orderId);
    expect([after.response.status, after.error?.error.code]).toEqual([409, 'order_not_shippable']);
    expect((await orderOf(order.orderId)).fulfillmentStatus).toBe('unfulfilled');
    await waitFor(async () => (await stockOf(order.lines[0].sku)).onHand === 100 && (await stockOf(order.lines[1].sku)).onHand === 100, {
      what: 'every unit back on hand',
    });
  });

  it('ships only the lines not refunded after a partial refund before shipping, and never restocks goods that left', async () => {
    const order = await paidOrder(world.client, [
      { quantity: 2, unitAmount: 1500 },
      { quantity: 3, unitAmount: 700 },
    ]);
    const refunds = world.client.typed('refund', order.token);
    const refund = await refunds.POST('/v1/refunds', { body: { orderId: order.orderId, items: [{ sku: order.lines[0].sku, quantity: 2 }], reason: 'damaged' } });
    expect(refund.response.status).toBe(201);
    // a warehouse retries a refused shipment until the refund has ended
    const shipped = await waitFor(
      async () => {
        const answer = await ship(order.orderId);
        if (answer.response.status === 409) expect(answer.error?.error.code).toBe('order_refund_in_progress');
        return answer.response.status === 201 && answer.data;
      },
      { what: 'the shipment of what is left', timeoutMs: 30000 },
    );
    expect(shipped.shipment?.items).toEqual([{ sku: order.lines[1].sku, quantity: 3 }]);
    expect((await refundReaches(world.client, refund.data!.id, ['succeeded'])).status).toBe('succeeded');
    await waitFor(async () => (await stockOf(order.lines[0].sku)).onHand === 100, { what: 'the refunded line back on hand' });
    // the shipped line left for good: a refund of it now is for goods on their way to the customer
    expect(await stockOf(order.lines[1].sku)).toMatchObject({ onHand: 97, reserved: 0 });

    // the parcel is refunded too once it is delivered and comes back: only then does it go back on hand
    await world.client.typed('order', support()).POST('/v1/orders/{id}/delivery', { params: { path: { id: order.orderId } } });
    const returned = await refunds.POST('/v1/refunds', { body: { orderId: order.orderId, reason: 'not_as_described' } });
    expect(returned.response.status).toBe(201);
    const path = { path: { id: returned.data!.id } };
    await refundReaches(world.client, path.path.id, ['awaiting_return']);
    expect(await stockOf(order.lines[1].sku)).toMatchObject({ onHand: 97 });
    await asSupport().POST('/v1/refunds/{id}/return-received', { params: path });
    await asSupport().POST('/v1/refunds/{id}/inspection', { params: path, body: { result: 'passed' } });
    await refundReaches(world.client, path.path.id, ['succeeded']);
    await waitFor(async () => (await stockOf(order.lines[1].sku)).onHand === 100, { what: 'the returned parcel back on hand' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await stockOf(order.lines[0].sku)).toMatchObject({ onHand: 100 });
    expect(await orderOf(order.orderId)).toMatchObject({ paymentStatus: 'refunded', refundedAmount: order.total });
  });

  it('makes one payment per order, and pays back by itself money captured a second time outside Ebb', async () => {
    const order = await paidOrder(world.client, [{ quantity: 1, unitAmount: 2400 }]);
    // a second payment for a paid order is refused, whoever asks
    const again = await world.client.typed('payment', order.token).POST('/v1/payments', { body: { orderId: order.orderId } });
    expect([again.response.status, again.error?.error.code]).toEqual([409, 'order_not_payable']);
    // someone charges the customer again at the provider, for the same order
    const outside = await world.client.stripe().paymentIntents.create({ amount: 2400, currency: 'eur', metadata: { orderId: order.orderId } });
    await world.client.stripe().paymentIntents.confirm(outside.id, { payment_method: 'pm_card_visa' });

    const refunded = await waitFor(
      async () => {
        const current = await orderOf(order.orderId);
        return current.duplicatePayments?.[0]?.status === 'refunded' && current;
      },
      { what: 'the duplicate to be paid back', timeoutMs: 30000 },
    );
    expect(refunded).toMatchObject({ capturedAmount: 2400, refundedAmount: 0, paymentStatus: 'captured' });
    expect(refunded.duplicatePayments).toEqual([{ paymentId: expect.any(String), amount: 2400, currency: 'EUR', status: 'refunded', refundId: expect.any(String) }]);
    const refundId = refunded.duplicatePayments?.[0]?.refundId ?? '';
    const refund = await ok(world.client.typed('refund', admin()).GET('/v1/refunds/{id}', { params: { path: { id: refundId } } }));
    expect(refund).toMatchObject({ orderId: order.orderId, amount: 2400, reason: 'duplicate_payment', initiator: 'system', status: 'succeeded' });
    expect((await world.client.stripe().refunds.list({ payment_intent: outside.id })).data.map((r) => r.amount)).toEqual([2400]);
    expect((await world.client.stripe().refunds.list({ payment_intent: order.providerPaymentId })).data).toEqual([]);
    // the order's own money is still all refundable
    const own = await world.client.typed('refund', order.token).POST('/v1/refunds', { body: { orderId: order.orderId, reason: 'requested_by_customer' } });
    expect(own.response.status).toBe(201);
    expect(own.data?.amount).toBe(2400);
  });
});
