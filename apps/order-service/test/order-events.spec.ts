import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Client } from 'pg';
import { ORDER_QUERY_PROTO, PROTO_LOADER_OPTIONS } from '@ebb/contracts';
import { OrderQueryClient } from '@ebb/service';
import { ServiceIdentity } from '@ebb/http';
import { sleep, tokenFor, waitFor } from '@ebb/testing';
import { OrderHandlers } from '../src/orders/order-events.handler';
import { type OrderService, TEST_SERVICE_SECRET, bootOrderService, orderBody, tokens } from './order-service.harness';

describe('order-service consuming the events of payment, inventory and refund', () => {
  let svc: OrderService;

  beforeAll(async () => {
    svc = await bootOrderService('events');
  });

  afterAll(async () => {
    await svc?.close();
  });

  const place = async (customerId: string) => {
    const { status, body } = await svc.api('/v1/orders', { token: tokens.service, body: orderBody(customerId) });
    expect(status).toBe(201);
    return body as { id: string; totalAmount: number };
  };
  const read = async (orderId: string) => (await svc.api(`/v1/orders/${orderId}`, { token: tokens.support })).body;
  const seenFor = (type: string, orderId: string) => svc.seen.filter((event) => event.type === type && event.payload.orderId === orderId);
  // the relay deletes outbox rows once published, so what was emitted is counted on the test's own queue
  const emitted = async (type: string, orderId: string) => {
    await sleep(500);
    return seenFor(type, orderId).length;
  };
  // each refund applied moves the order once, in its history
  const refundMoves = (orderId: string) =>
    svc.dataSource.query(`SELECT action, payment_status FROM order_history WHERE order_id = $1 AND action LIKE 'refund%' ORDER BY id`, [orderId]);
  const handled = async (handler: string, messageId: string) => {
    const rows = await svc.dataSource.query(`SELECT 1 FROM inbox WHERE handler = $1 AND message_id = $2`, [handler, messageId]);
    return rows.length === 1;
  };

  const paymentSucceeded = (orderId: string, amount: number, paymentId = `pay_${orderId}`) => ({
    paymentId,
    orderId,
    provider: 'stripe',
    providerPaymentId: `pi_${orderId}`,
    amount,
    currency: 'USD',
  });
  const refundSucceeded = (orderId: string, refundId: string, amount: number) => ({
    refundId,
    orderId,
    customerId: 'cus_x',
    email: 'cus_x@example.com',
    status: 'succeeded',
    amount,
    currency: 'USD',
    reason: 'requested_by_customer',
    initiator: 'customer',
    shipped: false,
  });

  /** An order whose payment was captured, as payment-service's event leaves it. */
  const captured = async (customerId: string) => {
    const order = await place(customerId);
    await svc.publish('payment.succeeded', paymentSucceeded(order.id, order.totalAmount));
    await waitFor(async () => (await read(order.id)).paymentStatus === 'captured', { what: 'the capture' });
    return order;
  };

  it('records the capture on payment.succeeded: open, captured, and order.captured published', async () => {
    const order = await place('cus_anna');
    await svc.publish('payment.succeeded', paymentSucceeded(order.id, 3999));
    const [event] = await waitFor(() => seenFor('order.captured', order.id).length === 1 && seenFor('order.captured', order.id), {
      what: 'order.captured on the test queue',
    });
    expect(event.payload).toEqual({
      orderId: order.id,
      customerId: 'cus_anna',
      email: 'cus_anna@example.com',
      paymentId: `pay_${order.id}`,
      amount: 3999,
      currency: 'USD',
      locale: 'en',
    });
    expect(await read(order.id)).toMatchObject({ status: 'open', paymentStatus: 'captured', capturedAmount: 3999, paymentId: `pay_${order.id}` });
  });

  it('applies a redelivered payment.succeeded once, whether it comes under the same or a new message id', async () => {
    const order = await place('cus_ben');
    const messageId = randomUUID();
    await svc.publish('payment.succeeded', paymentSucceeded(order.id, 3999), messageId);
    await svc.publish('payment.succeeded', paymentSucceeded(order.id, 3999), messageId);
    const republished = await svc.publish('payment.succeeded', paymentSucceeded(order.id, 3999));
    // a second, different payment for the same order is logged, never added
    const second = await svc.publish('payment.succeeded', paymentSucceeded(order.id, 3999, 'pay_other'));
    await waitFor(async () => (await handled('orders.capture-payment', republished)) && (await handled('orders.capture-payment', second)), {
      what: 'every copy to be handled',
    });
    expect(await emitted('order.captured', order.id)).toBe(1);
    expect(await read(order.id)).toMatchObject({ capturedAmount: 3999, paymentId: `pay_${order.id}`, paymentStatus: 'captured' });
  });

  it('leaves an order awaiting payment when the payment failed', async () => {
    const order = await place('cus_cleo');
    const messageId = await svc.publish('payment.failed', { paymentId: 'pay_f', orderId: order.id, provider: 'stripe', reason: 'card_declined' });
    await waitFor(() => handled('orders.note-payment-failure', messageId), { what: 'payment.failed to be handled' });
    expect(await read(order.id)).toMatchObject({ status: 'pending_payment', paymentStatus: 'pending' });
    expect(await emitted('order.cancelled', order.id)).toBe(0);
  });

  it('cancels an order still awaiting payment when its stock cannot be reserved, with order.cancelled', async () => {
    const order = await place('cus_dora');
    await svc.publish('inventory.reservation_failed', { orderId: order.id, reason: 'sku TEA-GREEN short by 1' });
    const [event] = await waitFor(() => seenFor('order.cancelled', order.id).length === 1 && seenFor('order.cancelled', order.id), {
      what: 'order.cancelled',
    });
    expect(event.payload.reason).toContain('TEA-GREEN');
    expect(await read(order.id)).toMatchObject({ status: 'cancelled', paymentStatus: 'pending' });
  });

  it('records money the provider took for an order already cancelled, and asks for it to be paid back', async () => {
    const order = await place('cus_dirk');
    await svc.publish('inventory.reservation_failed', { orderId: order.id, reason: 'short' });
    await waitFor(() => seenFor('order.cancelled', order.id).length === 1, { what: 'order.cancelled' });
    await svc.publish('payment.succeeded', paymentSucceeded(order.id, order.totalAmount));
    const [event] = await waitFor(() => seenFor('order.captured_after_cancel', order.id).length === 1 && seenFor('order.captured_after_cancel', order.id), {
      what: 'order.captured_after_cancel',
    });
    expect(event.payload).toEqual({ orderId: order.id, customerId: 'cus_dirk', email: 'cus_dirk@example.com', paymentId: `pay_${order.id}`, amount: order.totalAmount, currency: 'USD', locale: 'en' });
    expect(await read(order.id)).toMatchObject({ status: 'cancelled', paymentStatus: 'captured', capturedAmount: order.totalAmount });
  });

  it('shows money captured twice on the order until the system has paid it back, apart from what the order refunded', async () => {
    const order = await captured('cus_dana');
    const duplicate = { paymentId: `pay_dup_${order.id}`, orderId: order.id, customerId: 'cus_dana', email: 'cus_dana@example.com', provider: 'stripe', providerPaymentId: 'pi_dup', amount: order.totalAmount, currency: 'USD', cause: 'second_capture' };
    const noted = await svc.publish('payment.duplicate_captured', duplicate);
    await waitFor(() => handled(OrderHandlers.noteDuplicatePayment, noted), { what: 'the duplicate to be noted' });
    expect((await read(order.id)).duplicatePayments).toEqual([{ paymentId: duplicate.paymentId, amount: order.totalAmount, currency: 'USD', status: 'refund_pending' }]);
    const refundId = `ref_dup_${order.id}`;
    const messageId = await svc.publish('refund.succeeded', { ...refundSucceeded(order.id, refundId, order.totalAmount), paymentId: duplicate.paymentId });
    await waitFor(() => handled('orders.apply-refund', messageId), { what: 'the refund of the duplicate' });
    expect(await read(order.id)).toMatchObject({
      refundedAmount: 0,
      paymentStatus: 'captured',
      duplicatePayments: [{ paymentId: duplicate.paymentId, amount: order.totalAmount, currency: 'USD', status: 'refunded', refundId }],
    });
  });

  it('does not cancel an order already paid when a late reservation failure arrives', async () => {
    const order = await captured('cus_emil');
    const messageId = await svc.publish('inventory.reservation_failed', { orderId: order.id, reason: 'late' });
    await waitFor(() => handled('orders.cancel-unreserved', messageId), { what: 'the reservation failure to be handled' });
    expect(await read(order.id)).toMatchObject({ status: 'open', paymentStatus: 'captured' });
    expect(await emitted('order.cancelled', order.id)).toBe(0);
  });

  it('ships a captured order (201, order.shipped), then records its delivery (200, order.delivered), each move in the history', async () => {
    const order = await captured('cus_fay');
    const ship = await svc.api(`/v1/orders/${order.id}/shipments`, { token: tokens.support, body: { carrier: 'dhl', trackingNumber: 'JD0001' } });
    expect(ship.status).toBe(201);
    expect(ship.body).toMatchObject({
      fulfillmentStatus: 'shipped',
      status: 'open',
      shipment: { carrier: 'dhl', trackingNumber: 'JD0001', shippedAt: expect.any(String) },
    });
    expect(ship.body.shipment.deliveredAt).toBeUndefined();
    const again = await svc.api(`/v1/orders/${order.id}/shipments`, { token: tokens.support, body: { carrier: 'dhl', trackingNumber: 'JD0002' } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('order_not_shippable');

    const deliver = await svc.api(`/v1/orders/${order.id}/delivery`, { token: tokens.service, method: 'POST' });
    expect(deliver.status).toBe(200);
    expect(deliver.body).toMatchObject({ status: 'completed', fulfillmentStatus: 'delivered', shipment: { trackingNumber: 'JD0001', deliveredAt: expect.any(String) } });
    await waitFor(() => seenFor('order.shipped', order.id).length === 1 && seenFor('order.delivered', order.id).length === 1, {
      what: 'order.shipped and order.delivered',
    });
    const history = await svc.dataSource.query(`SELECT action, status, fulfillment_status FROM order_history WHERE order_id = $1 ORDER BY id`, [order.id]);
    expect(history).toEqual([
      { action: 'place', status: 'pending_payment', fulfillment_status: 'unfulfilled' },
      { action: 'capture', status: 'open', fulfillment_status: 'unfulfilled' },
      { action: 'ship', status: 'open', fulfillment_status: 'shipped' },
      { action: 'deliver', status: 'completed', fulfillment_status: 'delivered' },
    ]);
    expect(seenFor('order.shipped', order.id)[0].payload).toEqual({
      orderId: order.id,
      carrier: 'dhl',
      trackingNumber: 'JD0001',
      shippedAt: ship.body.shipment.shippedAt,
      items: ship.body.shipment.items,
    });
    expect(ship.body.shipment.items).toEqual(ship.body.items.map((line: { sku: string; quantity: number }) => ({ sku: line.sku, quantity: line.quantity })));
  });

  it('counts a refund once even when it arrives twice under different message ids, leaving the order partially refunded', async () => {
    const order = await captured('cus_gus');
    const first = await svc.publish('refund.succeeded', refundSucceeded(order.id, 'ref_1', 1000));
    const second = await svc.publish('refund.succeeded', refundSucceeded(order.id, 'ref_1', 1000));
    await waitFor(async () => (await handled('orders.apply-refund', first)) && (await handled('orders.apply-refund', second)), {
      what: 'both copies to be handled',
    });
    expect(await read(order.id)).toMatchObject({ refundedAmount: 1000, capturedAmount: 3999, paymentStatus: 'partially_refunded', status: 'open' });
    expect(await refundMoves(order.id)).toEqual([{ action: 'refund_partially', payment_status: 'partially_refunded' }]);
  });

  it('marks the order refunded once its refunds reach the captured amount, and will not ship it', async () => {
    const order = await captured('cus_hana');
    await svc.publish('refund.succeeded', refundSucceeded(order.id, 'ref_a', 999));
    await waitFor(async () => (await read(order.id)).paymentStatus === 'partially_refunded', { what: 'the first refund' });
    await svc.publish('refund.succeeded', refundSucceeded(order.id, 'ref_b', 3000));
    await waitFor(async () => (await read(order.id)).paymentStatus === 'refunded', { what: 'the second refund' });
    expect(await read(order.id)).toMatchObject({ refundedAmount: 3999, capturedAmount: 3999 });
    expect(await refundMoves(order.id)).toEqual([
      { action: 'refund_partially', payment_status: 'partially_refunded' },
      { action: 'refund_fully', payment_status: 'refunded' },
    ]);
    const ship = await svc.api(`/v1/orders/${order.id}/shipments`, { token: tokens.support, body: { carrier: 'dhl', trackingNumber: 'JD0003' } });
    expect(ship.status).toBe(409);
  });

  it('parks a refund that would take the order above what was captured, and changes nothing', async () => {
    const order = await captured('cus_ida');
    await svc.publish('refund.succeeded', refundSucceeded(order.id, 'ref_too_much', 4000));
    const parked = await waitFor(
      async () => {
        const { body } = await svc.api('/v1/admin/dead-letters', { token: tokens.admin });
        return body.items.find((item: any) => JSON.parse(item.content).refundId === 'ref_too_much');
      },
      { what: 'the refund to be parked' },
    );
    expect(parked).toMatchObject({ handler: 'orders.apply-refund', type: 'refund.succeeded' });
    expect(await read(order.id)).toMatchObject({ refundedAmount: 0, paymentStatus: 'captured' });
    const applied = await svc.dataSource.query(`SELECT 1 FROM order_applied_refunds WHERE refund_id = 'ref_too_much'`);
    expect(applied).toEqual([]);
  });

  it('has the database refuse a refunded amount above the captured amount, whatever the code does', async () => {
    const order = await captured('cus_jan');
    // a client of its own: the app's data source would log the refused statement as an error
    const client = new Client({ connectionString: svc.databaseUrl });
    await client.connect();
    try {
      await expect(client.query(`UPDATE orders SET refunded_amount = captured_amount + 1 WHERE id = $1`, [order.id])).rejects.toThrow(
        /orders_refunded_within_captured/,
      );
    } finally {
      await client.end();
    }
    expect(await read(order.id)).toMatchObject({ refundedAmount: 0, capturedAmount: 3999 });
  });

  it('answers GetOrder over gRPC with the payment id and shipping time once they are known, to other services only', async () => {
    const order = await captured('cus_kim');
    await svc.api(`/v1/orders/${order.id}/shipments`, { token: tokens.support, body: { carrier: 'ups', trackingNumber: '1Z1' } });
    const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(ORDER_QUERY_PROTO, PROTO_LOADER_OPTIONS)) as any;
    const client = new loaded.ebb.order.v1.OrderQuery(`127.0.0.1:${svc.grpcPort}`, grpc.credentials.createInsecure());
    const getOrder = (authorization?: string) => {
      const metadata = new grpc.Metadata();
      if (authorization) metadata.set('authorization', authorization);
      return new Promise<any>((resolve, reject) => client.GetOrder({ orderId: order.id }, metadata, (error: Error | null, value: unknown) => (error ? reject(error) : resolve(value))));
    };
    try {
      const message = await getOrder(`Bearer ${tokens.service}`);
      expect(message).toMatchObject({ paymentId: `pay_${order.id}`, capturedAmount: 3999, status: 'open', fulfillmentStatus: 'shipped', deliveredAt: '' });
      expect(Date.parse(message.shippedAt)).not.toBeNaN();

      // no token, a person's token of any role, a service claim signed with the people's secret, a bad signature
      await expect(getOrder()).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      await expect(getOrder(`Bearer ${tokens.customer('cus_kim')}`)).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
      await expect(getOrder(`Bearer ${tokens.admin}`)).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
      await expect(getOrder(`Bearer ${tokenFor('service', 'payments')}`)).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      await expect(getOrder(`Bearer ${tokenFor('service', 'payments', 'not-the-secret')}`)).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    } finally {
      client.close();
    }
  });

  it('takes a service token only under the service secret over HTTP too', async () => {
    const order = await captured('cus_lee');
    const ship = (token: string) => svc.api(`/v1/orders/${order.id}/shipments`, { token, body: { carrier: 'ups', trackingNumber: `1Z-${order.id}` } });
    const forged = await ship(tokenFor('service', 'payments'));
    expect({ status: forged.status, code: forged.body.error.code }).toEqual({ status: 401, code: 'unauthorized' });
    expect((await ship(tokens.service)).status).toBe(201);
  });

  describe('goods held for a refund being paid', () => {
    let orders: OrderQueryClient;
    beforeAll(() => {
      orders = new OrderQueryClient(`127.0.0.1:${svc.grpcPort}`, 5000, new ServiceIdentity('refunds', TEST_SERVICE_SECRET));
    });
    afterAll(() => orders?.close());
    const ship = (orderId: string, trackingNumber = `T-${orderId}`) =>
      svc.api(`/v1/orders/${orderId}/shipments`, { token: tokens.support, body: { carrier: 'dhl', trackingNumber } });
    const refundEvent = (type: string, orderId: string, refundId: string, amount: number) =>
      svc.publish(type, { ...refundSucceeded(orderId, refundId, amount), status: type.slice('refund.'.length) });
    const waitHandled = (handler: string, messageId: string) => waitFor(() => handled(handler, messageId), { what: `${handler} to handle ${messageId}` });

    it('refuses to ship while a refund of unshipped goods is being paid, then ships only the lines not refunded', async () => {
      const order = await captured('cus_hold1');
      const refundId = `ref_${order.id}_mug`;
      const answer = await orders.holdGoodsForRefund(order.id, refundId, [{ sku: 'MUG-BLUE', quantity: 2 }]);
      expect(answer.held).toBe(true);
      expect((await orders.holdGoodsForRefund(order.id, refundId, [{ sku: 'MUG-BLUE', quantity: 2 }])).held).toBe(true);

      const refused = await ship(order.id);
      expect({ status: refused.status, code: refused.body.error.code }).toEqual({ status: 409, code: 'order_refund_in_progress' });
      expect(refused.body.error.details).toEqual({ refundIds: [refundId] });
      expect((await read(order.id)).fulfillmentStatus).toBe('unfulfilled');

      await waitHandled('orders.apply-refund', await refundEvent('refund.succeeded', order.id, refundId, 2500));
      const shipped = await ship(order.id);
      expect(shipped.status).toBe(201);
      expect(shipped.body.shipment.items).toEqual([{ sku: 'TEA-GREEN', quantity: 1 }]);
      await waitFor(() => seenFor('order.shipped', order.id).length === 1, { what: 'order.shipped' });
      expect(seenFor('order.shipped', order.id)[0].payload.items).toEqual([{ sku: 'TEA-GREEN', quantity: 1 }]);
      const message = await orders.getOrder(order.id);
      expect(message.items.map((line) => [line.sku, line.shippedQuantity])).toEqual([
        ['MUG-BLUE', 0],
        ['TEA-GREEN', 1],
      ]);
    });

    it('lets the goods ship again once the refund is cancelled or rejected; a hold arriving after the end holds nothing', async () => {
      const order = await captured('cus_hold2');
      expect((await orders.holdGoodsForRefund(order.id, `ref_${order.id}_a`, [{ sku: 'TEA-GREEN', quantity: 1 }])).held).toBe(true);
      await waitHandled('orders.release-hold-of-rejected-refund', await refundEvent('refund.rejected', order.id, `ref_${order.id}_a`, 999));
      // cancelled before its hold arrived (the hold was slow): the late hold must not stop the parcel forever
      await waitHandled('orders.release-hold-of-cancelled-refund', await refundEvent('refund.cancelled', order.id, `ref_${order.id}_b`, 999));
      expect((await orders.holdGoodsForRefund(order.id, `ref_${order.id}_b`, [{ sku: 'TEA-GREEN', quantity: 1 }])).held).toBe(false);
      const shipped = await ship(order.id);
      expect(shipped.status).toBe(201);
      expect(shipped.body.shipment.items).toEqual([
        { sku: 'MUG-BLUE', quantity: 2 },
        { sku: 'TEA-GREEN', quantity: 1 },
      ]);
    });

    it('holds nothing once the order shipped, and answers with the shipped order', async () => {
      const order = await captured('cus_hold3');
      expect((await ship(order.id)).status).toBe(201);
      const answer = await orders.holdGoodsForRefund(order.id, `ref_${order.id}`, [{ sku: 'MUG-BLUE', quantity: 1 }]);
      expect(answer.held).toBe(false);
      expect(answer.order).toMatchObject({ id: order.id, fulfillmentStatus: 'shipped', trackingNumber: `T-${order.id}` });
    });

    it('never ships both: a hold and a shipment racing on one order, one of them wins', async () => {
      for (let round = 0; round < 5; round++) {
        const order = await captured(`cus_race${round}`);
        const [hold, shipment] = await Promise.all([orders.holdGoodsForRefund(order.id, `ref_${order.id}`, [{ sku: 'MUG-BLUE', quantity: 2 }]), ship(order.id)]);
        // exactly one: goods held and no parcel, or a parcel and nothing held
        expect({ held: hold.held, shipped: shipment.status === 201 }).toEqual(hold.held ? { held: true, shipped: false } : { held: false, shipped: true });
      }
    });
  });
  describe('OrderQuery.LastSales', () => {
    let orders: OrderQueryClient;
    beforeAll(() => {
      orders = new OrderQueryClient(`127.0.0.1:${svc.grpcPort}`, 5000, new ServiceIdentity('refunds', TEST_SERVICE_SECRET));
    });
    afterAll(() => orders?.close());
    const placeFor = async (sellerId: string, customerId: string) => {
      const { status, body } = await svc.api('/v1/orders', { token: tokens.service, body: orderBody(customerId, { sellerId }) });
      expect(status).toBe(201);
      return body as { id: string; totalAmount: number };
    };

    it("answers each seller's latest paid order, leaves out sellers with no sale, and never counts an unpaid order", async () => {
      const seller = `sel_sales_${randomUUID().slice(0, 8)}`;
      const quiet = `${seller}_quiet`;
      const older = await placeFor(seller, 'cus_sales1');
      const newer = await placeFor(seller, 'cus_sales2');
      await placeFor(quiet, 'cus_sales3'); // placed, never paid: no sale
      for (const order of [older, newer]) {
        await svc.publish('payment.succeeded', paymentSucceeded(order.id, order.totalAmount));
        await waitFor(async () => (await read(order.id)).paymentStatus === 'captured', { what: 'the capture' });
      }
      // the older sale months back, the newer one last week (purchase times, as a shop's history has them)
      await svc.dataSource.query(`UPDATE orders SET created_at = now() - interval '200 days' WHERE id = $1`, [older.id]);
      await svc.dataSource.query(`UPDATE orders SET created_at = now() - interval '7 days' WHERE id = $1`, [newer.id]);
      const [newest] = await svc.dataSource.query(`SELECT created_at FROM orders WHERE id = $1`, [newer.id]);
      const sales = await orders.lastSales([seller, quiet, 'sel_never_seen']);
      expect([...sales]).toEqual([[seller, newest.created_at.toISOString()]]);
    });

    it('refuses more sellers than one call may ask about with INVALID_ARGUMENT, and a person\'s token with PERMISSION_DENIED', async () => {
      const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(ORDER_QUERY_PROTO, PROTO_LOADER_OPTIONS)) as any;
      const client = new loaded.ebb.order.v1.OrderQuery(`127.0.0.1:${svc.grpcPort}`, grpc.credentials.createInsecure());
      const ask = (sellerIds: string[], token = tokens.service) => {
        const metadata = new grpc.Metadata();
        metadata.set('authorization', `Bearer ${token}`);
        return new Promise<any>((resolve, reject) => client.LastSales({ sellerIds }, metadata, (error: Error | null, value: unknown) => (error ? reject(error) : resolve(value))));
      };
      try {
        await expect(ask(Array.from({ length: 1001 }, (_, i) => `sel_${i}`))).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
        await expect(ask(['sel_x'], tokens.admin)).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
        expect(await ask([])).toEqual({ sales: [] });
      } finally {
        client.close();
      }
    });
  });
});
