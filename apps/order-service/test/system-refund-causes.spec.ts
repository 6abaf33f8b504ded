import { sleep, waitFor } from '@ebb/testing';
import { type OrderService, bootOrderService, orderBody, tokens } from './order-service.harness';

describe('order-service: what makes the system refund an order (a missed shipping date, a price error) and a parcel that came back', () => {
  let svc: OrderService;

  beforeAll(async () => {
    svc = await bootOrderService('causes');
  });
  afterAll(async () => {
    await svc?.close();
  });

  const place = async (customerId: string, overrides: Record<string, unknown> = {}) => {
    const { status, body } = await svc.api('/v1/orders', { token: tokens.service, body: orderBody(customerId, overrides) });
    expect(status).toBe(201);
    return body as { id: string; totalAmount: number; locale: string };
  };
  const read = async (orderId: string) => (await svc.api(`/v1/orders/${orderId}`, { token: tokens.support })).body;
  const seenFor = (type: string, orderId: string) => svc.seen.filter((event) => event.type === type && event.payload.orderId === orderId);
  const capture = async (order: { id: string; totalAmount: number }) => {
    await svc.publish('payment.succeeded', { paymentId: `pay_${order.id}`, orderId: order.id, provider: 'stripe', providerPaymentId: `pi_${order.id}`, amount: order.totalAmount, currency: 'USD' });
    await waitFor(async () => (await read(order.id)).paymentStatus === 'captured', { what: 'the capture' });
  };
  const ship = async (orderId: string) => {
    const shipped = await svc.api(`/v1/orders/${orderId}/shipments`, { token: tokens.support, body: { carrier: 'dhl', trackingNumber: `TRK-${orderId}` } });
    expect(shipped.status).toBe(201);
  };

  it('keeps the customer’s language on the order, and refuses one it does not know', async () => {
    const order = await place('cus_lin', { locale: 'zh-CN' });
    expect(order.locale).toBe('zh-CN');
    await capture(order);
    const captured = await waitFor(() => seenFor('order.captured', order.id)[0]);
    expect(captured.payload.locale).toBe('zh-CN');
    const bad = await svc.api('/v1/orders', { token: tokens.service, body: orderBody('cus_lin', { locale: 'fr' }) });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'validation_error', details: [{ field: 'locale' }] });
  });

  it('tells once that a captured order missed its promised shipping date, and nothing for one that shipped in time or was never paid', async () => {
    const soon = () => new Date(Date.now() + 1500).toISOString();
    const late = await place('cus_late', { promisedShipBy: soon() });
    const onTime = await place('cus_on_time', { promisedShipBy: soon() });
    const unpaid = await place('cus_unpaid', { promisedShipBy: soon() });
    await capture(late);
    await capture(onTime);
    await ship(onTime.id);
    const [missed] = await waitFor(() => seenFor('order.ship_deadline_missed', late.id).length > 0 && seenFor('order.ship_deadline_missed', late.id), {
      what: 'order.ship_deadline_missed',
    });
    expect(missed.payload).toEqual({ orderId: late.id, promisedShipBy: expect.any(String) });
    // every deadline has passed well before now: a second firing, or one for the others, would have come
    await sleep(2000);
    expect(seenFor('order.ship_deadline_missed', late.id)).toHaveLength(1);
    expect(seenFor('order.ship_deadline_missed', onTime.id)).toEqual([]);
    expect(seenFor('order.ship_deadline_missed', unpaid.id)).toEqual([]);
    const [row] = await svc.dataSource.query(`SELECT ship_deadline_missed_at FROM orders WHERE id = $1`, [late.id]);
    expect(row.ship_deadline_missed_at).toBeInstanceOf(Date);
  });

  it('flags lines sold at a wrong price once each (admin, 202), and refuses what cannot be flagged with 4xx and nothing written', async () => {
    const order = await place('cus_price');
    const body = { skus: ['MUG-BLUE'], note: 'listed at 12.50 instead of 21.50' };
    const unpaid = await svc.api(`/v1/orders/${order.id}/price-error`, { token: tokens.admin, body });
    expect(unpaid.status).toBe(409);
    expect(unpaid.body.error.code).toBe('order_not_refundable');
    await capture(order);
    const first = await svc.api(`/v1/orders/${order.id}/price-error`, { token: tokens.admin, body });
    expect(first).toEqual({ status: 202, body: { orderId: order.id, flagged: ['MUG-BLUE'], alreadyFlagged: [] } });
    const again = await svc.api(`/v1/orders/${order.id}/price-error`, { token: tokens.admin, body: { skus: ['MUG-BLUE', 'TEA-GREEN'], note: 'both' } });
    expect(again).toEqual({ status: 202, body: { orderId: order.id, flagged: ['TEA-GREEN'], alreadyFlagged: ['MUG-BLUE'] } });
    const third = await svc.api(`/v1/orders/${order.id}/price-error`, { token: tokens.admin, body });
    expect(third.body).toEqual({ orderId: order.id, flagged: [], alreadyFlagged: ['MUG-BLUE'] });

    const refusals: [unknown, string | undefined, number, string][] = [
      [{ skus: ['NOPE'], note: 'x' }, tokens.admin, 400, 'validation_error'],
      [{ skus: [], note: 'x' }, tokens.admin, 400, 'validation_error'],
      [{ skus: ['MUG-BLUE', 'MUG-BLUE'], note: 'x' }, tokens.admin, 400, 'validation_error'],
      [{ skus: ['MUG-BLUE'] }, tokens.admin, 400, 'validation_error'],
      [body, tokens.support, 403, 'forbidden'],
      [body, tokens.customer('cus_price'), 403, 'forbidden'],
    ];
    for (const [request, token, status, code] of refusals) {
      const answer = await svc.api(`/v1/orders/${order.id}/price-error`, { token, body: request });
      expect({ request, status: answer.status, code: answer.body.error.code }).toEqual({ request, status, code });
    }
    expect((await svc.api(`/v1/orders/ord_missing/price-error`, { token: tokens.admin, body })).status).toBe(404);
    await sleep(500);
    expect(seenFor('order.price_error_flagged', order.id).map((event) => event.payload.skus)).toEqual([['MUG-BLUE'], ['TEA-GREEN']]);
    expect(seenFor('order.price_error_flagged', order.id)[0].payload).toMatchObject({ note: 'listed at 12.50 instead of 21.50', flaggedBy: 'admin:ops-1' });
  });

  it('is returned once every shipped line came back, not before', async () => {
    const order = await place('cus_back');
    await capture(order);
    await ship(order.id);
    const refund = (refundId: string, amount: number, restockItems: { sku: string; quantity: number }[]) => ({
      refundId,
      orderId: order.id,
      customerId: 'cus_back',
      email: 'cus_back@example.com',
      status: 'succeeded',
      amount,
      currency: 'USD',
      reason: 'damaged',
      initiator: 'customer',
      shipped: true,
      restock: true,
      restockItems,
    });
    await svc.publish('refund.succeeded', refund(`ref_${order.id}_1`, 2500, [{ sku: 'MUG-BLUE', quantity: 2 }]));
    await waitFor(async () => (await read(order.id)).refundedAmount === 2500, { what: 'the first refund' });
    expect((await read(order.id)).fulfillmentStatus).toBe('shipped');
    await svc.publish('refund.succeeded', refund(`ref_${order.id}_2`, 999, [{ sku: 'TEA-GREEN', quantity: 1 }]));
    await waitFor(async () => (await read(order.id)).refundedAmount === 3499, { what: 'the second refund' });
    expect(await read(order.id)).toMatchObject({ fulfillmentStatus: 'returned', paymentStatus: 'partially_refunded' });
  });
});
