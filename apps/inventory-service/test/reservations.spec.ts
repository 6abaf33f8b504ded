import request from 'supertest';
import { metricsRegistry } from '@ebb/observability';
import { waitFor } from '@ebb/testing';
import { reserveOrder } from '../src/reservations/reserve-order.handler';
import { type InventoryTestApp, bearer, bootInventory } from './inventory-test-app';

const UNIT_AMOUNT = 1000;

const orderPlaced = (orderId: string, items: { sku: string; quantity: number }[]) => ({
  orderId,
  customerId: 'cust-1',
  email: 'cust-1@example.com',
  sellerId: 'seller-1',
  currency: 'USD',
  items: items.map(({ sku, quantity }) => ({ productId: 'prod-lamp', sku, quantity, unitAmount: UNIT_AMOUNT })),
  shippingAmount: 0,
  totalAmount: items.reduce((total, item) => total + item.quantity * UNIT_AMOUNT, 0),
});

const orderCaptured = (orderId: string, amount: number) => ({
  orderId,
  customerId: 'cust-1',
  email: 'cust-1@example.com',
  paymentId: `pay-${orderId}`,
  amount,
  currency: 'USD',
});

const refundSucceeded = (refund: {
  refundId: string;
  orderId: string;
  amount: number;
  shipped: boolean;
  restock?: boolean;
  items?: { sku: string; quantity: number }[];
  restockItems?: { sku: string; quantity: number }[];
}) => ({
  customerId: 'cust-1',
  email: 'cust-1@example.com',
  status: 'succeeded',
  currency: 'USD',
  reason: 'requested_by_customer',
  initiator: 'customer',
  ...refund,
});

describe('inventory-service reservations', () => {
  let service: InventoryTestApp;
  const api = () => request(service.url);

  const setStock = (sku: string, onHand: number) =>
    api().put(`/v1/stock/${sku}`).set('Authorization', bearer.admin).send({ productId: 'prod-lamp', onHand }).expect(200);
  const stockOf = async (sku: string) => (await api().get(`/v1/stock/${sku}`).set('Authorization', bearer.admin).expect(200)).body;
  const eventsOf = (orderId: string, type?: string) =>
    service.events.filter((event) => event.payload.orderId === orderId && (!type || event.type === type));
  const firstEvent = (orderId: string, type?: string) =>
    waitFor(() => eventsOf(orderId, type)[0], { what: `${type ?? 'an inventory event'} for ${orderId}` });
  /** What each refund of the order put back on hand, once it was applied (inventory's own record: no event tells it). */
  const putBack = (orderId: string): Promise<{ refundId: string; items: { sku: string; quantity: number }[] }[]> =>
    service.dataSource.query(`SELECT refund_id AS "refundId", items FROM applied_refunds WHERE order_id = $1 ORDER BY applied_at, refund_id`, [orderId]);
  const putBackFor = (orderId: string, count: number) =>
    waitFor(async () => { const rows = await putBack(orderId); return rows.length >= count && rows; }, { what: `${count} refund(s) applied to ${orderId}` });
  const reservationsOf = (orderId: string) =>
    service.dataSource.query(`SELECT sku, quantity, status FROM reservations WHERE order_id = $1 ORDER BY sku`, [orderId]);
  const consumed = async (handler: string, outcome: string) => {
    const metric = metricsRegistry.getSingleMetric('messages_consumed_total');
    const values = metric ? (await metric.get()).values : [];
    return values.find((value) => value.labels.handler === handler && value.labels.outcome === outcome)?.value ?? 0;
  };

  /** Places and pays an order, and waits until its units are committed. */
  async function placeAndCapture(orderId: string, items: { sku: string; quantity: number }[]) {
    const placed = orderPlaced(orderId, items);
    await service.publish('order.placed', placed);
    await firstEvent(orderId, 'inventory.reserved');
    await service.publish('order.captured', orderCaptured(orderId, placed.totalAmount));
    await firstEvent(orderId, 'inventory.committed');
    return placed;
  }

  beforeAll(async () => {
    service = await bootInventory('reservations');
    await api()
      .post('/v1/products')
      .set('Authorization', bearer.admin)
      .send({ id: 'prod-lamp', sellerId: 'seller-1', title: 'Desk lamp', description: 'Brass' })
      .expect(201);
  });

  afterAll(async () => {
    await service?.stop();
  });

  it('reserves every line of a placed order: available drops and inventory.reserved is published', async () => {
    await setStock('LAMP-A', 10);
    await setStock('LAMP-B', 5);
    await service.publish('order.placed', orderPlaced('ord-1', [{ sku: 'LAMP-B', quantity: 1 }, { sku: 'LAMP-A', quantity: 2 }, { sku: 'LAMP-A', quantity: 1 }]));

    const event = await firstEvent('ord-1');
    expect(event).toMatchObject({ type: 'inventory.reserved', payload: { orderId: 'ord-1' } });
    expect(await stockOf('LAMP-A')).toEqual({ sku: 'LAMP-A', productId: 'prod-lamp', onHand: 10, reserved: 3, available: 7 });
    expect(await stockOf('LAMP-B')).toMatchObject({ onHand: 5, reserved: 1, available: 4 });
    expect(await reservationsOf('ord-1')).toEqual([
      { sku: 'LAMP-A', quantity: 3, status: 'active' },
      { sku: 'LAMP-B', quantity: 1, status: 'active' },
    ]);
  });

  it('refuses on-hand below what is reserved with 409 stock_below_reserved', async () => {
    const response = await api().put('/v1/stock/LAMP-A').set('Authorization', bearer.admin).send({ productId: 'prod-lamp', onHand: 2 });
    expect(response.status).toBe(409);
    expect(response.body.error).toMatchObject({ code: 'stock_below_reserved', details: { sku: 'LAMP-A', reserved: 3 } });
    expect(await stockOf('LAMP-A')).toMatchObject({ onHand: 10, reserved: 3 });
  });

  it('reserves nothing when one line is short, and publishes inventory.reservation_failed', async () => {
    await service.publish('order.placed', orderPlaced('ord-2', [{ sku: 'LAMP-A', quantity: 1 }, { sku: 'LAMP-B', quantity: 5 }]));

    const event = await firstEvent('ord-2');
    expect(event.type).toBe('inventory.reservation_failed');
    expect(event.payload.reason).toMatch(/^insufficient_stock: LAMP-B/);
    expect(await stockOf('LAMP-A')).toMatchObject({ reserved: 3, available: 7 });
    expect(await stockOf('LAMP-B')).toMatchObject({ reserved: 1, available: 4 });
    expect(await reservationsOf('ord-2')).toEqual([]);
  });

  it('fails the reservation of an order with an unknown SKU', async () => {
    await service.publish('order.placed', orderPlaced('ord-3', [{ sku: 'LAMP-A', quantity: 1 }, { sku: 'NO-SUCH-SKU', quantity: 1 }]));

    const event = await firstEvent('ord-3');
    expect(event).toMatchObject({ type: 'inventory.reservation_failed', payload: { reason: 'unknown_sku: NO-SUCH-SKU' } });
    expect(await stockOf('LAMP-A')).toMatchObject({ reserved: 3 });
    expect(await reservationsOf('ord-3')).toEqual([]);
  });

  it('commits the reservation on capture: on hand drops and reserved goes back', async () => {
    await service.publish('order.captured', orderCaptured('ord-1', 4000));

    await firstEvent('ord-1', 'inventory.committed');
    expect(await stockOf('LAMP-A')).toEqual({ sku: 'LAMP-A', productId: 'prod-lamp', onHand: 7, reserved: 0, available: 7 });
    expect(await stockOf('LAMP-B')).toMatchObject({ onHand: 4, reserved: 0, available: 4 });
    expect(await reservationsOf('ord-1')).toEqual([
      { sku: 'LAMP-A', quantity: 3, status: 'committed' },
      { sku: 'LAMP-B', quantity: 1, status: 'committed' },
    ]);
  });

  it('releases the units held for a cancelled order', async () => {
    await setStock('LAMP-C', 4);
    await service.publish('order.placed', orderPlaced('ord-4', [{ sku: 'LAMP-C', quantity: 3 }]));
    await firstEvent('ord-4', 'inventory.reserved');
    expect(await stockOf('LAMP-C')).toMatchObject({ reserved: 3, available: 1 });

    await service.publish('order.cancelled', { orderId: 'ord-4', reason: 'customer_cancelled' });
    const released = await firstEvent('ord-4', 'inventory.released');
    expect(released.payload).toEqual({ orderId: 'ord-4', items: [{ sku: 'LAMP-C', quantity: 3 }] });
    expect(await stockOf('LAMP-C')).toMatchObject({ onHand: 4, reserved: 0, available: 4 });
    expect(await reservationsOf('ord-4')).toEqual([{ sku: 'LAMP-C', quantity: 3, status: 'released' }]);
  });

  it('reserves nothing for an order whose cancellation overtook it', async () => {
    await setStock('LAMP-J', 3);
    const cancelId = await service.publish('order.cancelled', { orderId: 'ord-8', reason: 'payment_failed' });
    await waitFor(async () => (await service.dataSource.query(`SELECT 1 FROM inbox WHERE message_id = $1`, [cancelId])).length === 1, {
      what: 'the cancellation to be handled',
    });
    const placedId = await service.publish('order.placed', orderPlaced('ord-8', [{ sku: 'LAMP-J', quantity: 2 }]));
    await waitFor(async () => (await service.dataSource.query(`SELECT 1 FROM inbox WHERE message_id = $1`, [placedId])).length === 1, {
      what: 'the late order to be handled',
    });

    expect(await stockOf('LAMP-J')).toMatchObject({ onHand: 3, reserved: 0, available: 3 });
    expect(await reservationsOf('ord-8')).toEqual([]);
    expect(eventsOf('ord-8')).toEqual([]);
  });

  it('commits a capture that arrived before its order once the order is reserved', async () => {
    await setStock('LAMP-K', 3);
    const placed = orderPlaced('ord-9', [{ sku: 'LAMP-K', quantity: 2 }]);
    await service.publish('order.captured', orderCaptured('ord-9', placed.totalAmount));
    await service.publish('order.placed', placed);

    await firstEvent('ord-9', 'inventory.committed');
    expect(await stockOf('LAMP-K')).toMatchObject({ onHand: 1, reserved: 0, available: 1 });
    expect(await reservationsOf('ord-9')).toEqual([{ sku: 'LAMP-K', quantity: 2, status: 'committed' }]);
  });

  it('puts the refunded lines of an unshipped order back once, however often the refund arrives', async () => {
    await setStock('LAMP-D', 10);
    await setStock('LAMP-E', 10);
    await placeAndCapture('ord-5', [{ sku: 'LAMP-D', quantity: 3 }, { sku: 'LAMP-E', quantity: 2 }]);
    expect(await stockOf('LAMP-D')).toMatchObject({ onHand: 7, reserved: 0 });

    const refund = refundSucceeded({ refundId: 'ref-5', orderId: 'ord-5', amount: 2000, shipped: false, items: [{ sku: 'LAMP-D', quantity: 2 }] });
    const duplicatesBefore = await consumed('inventory.release-refunded-lines', 'duplicate');
    const messageId = await service.publish('refund.succeeded', refund);
    await service.publish('refund.succeeded', refund, messageId); // the broker redelivers the same message
    await service.publish('refund.succeeded', refund); // the same refund again, as a new message

    expect(await putBackFor('ord-5', 1)).toEqual([{ refundId: 'ref-5', items: [{ sku: 'LAMP-D', quantity: 2 }] }]);
    // both distinct messages have been through the handler, and the redelivery was recognised
    await waitFor(
      async () => {
        const [{ n }] = await service.dataSource.query(`SELECT count(*)::int AS n FROM inbox WHERE handler = 'inventory.release-refunded-lines'`);
        return n === 2 && (await consumed('inventory.release-refunded-lines', 'duplicate')) > duplicatesBefore;
      },
      { what: 'all three deliveries to be handled' },
    );
    expect(await stockOf('LAMP-D')).toEqual({ sku: 'LAMP-D', productId: 'prod-lamp', onHand: 9, reserved: 0, available: 9 });
    expect(await stockOf('LAMP-E')).toMatchObject({ onHand: 8, reserved: 0 });
    expect(await putBack('ord-5')).toHaveLength(1);
    expect(eventsOf('ord-5', 'inventory.released')).toEqual([]);
  });

  it('puts every line back for a full refund without items, never more than the order held', async () => {
    await setStock('LAMP-F', 5);
    const placed = await placeAndCapture('ord-6', [{ sku: 'LAMP-F', quantity: 2 }]);
    await service.publish('refund.succeeded', refundSucceeded({ refundId: 'ref-6a', orderId: 'ord-6', amount: 1000, shipped: false, items: [{ sku: 'LAMP-F', quantity: 1 }] }));
    await putBackFor('ord-6', 1);
    await service.publish('refund.succeeded', refundSucceeded({ refundId: 'ref-6b', orderId: 'ord-6', amount: placed.totalAmount, shipped: false }));

    const releases = await putBackFor('ord-6', 2);
    expect(releases.find((r) => r.refundId === 'ref-6b')).toEqual({ refundId: 'ref-6b', items: [{ sku: 'LAMP-F', quantity: 1 }] });
    expect(await stockOf('LAMP-F')).toMatchObject({ onHand: 5, reserved: 0, available: 5 });
  });

  it('puts the lines of a shipped refund whose goods came back on hand once, however often the refund arrives', async () => {
    await setStock('LAMP-M', 5);
    await placeAndCapture('ord-10', [{ sku: 'LAMP-M', quantity: 2 }]);
    expect(await stockOf('LAMP-M')).toMatchObject({ onHand: 3, reserved: 0 });

    const refund = refundSucceeded({ refundId: 'ref-10', orderId: 'ord-10', amount: 2000, shipped: true, restock: true, items: [{ sku: 'LAMP-M', quantity: 2 }] });
    const duplicatesBefore = await consumed('inventory.release-refunded-lines', 'duplicate');
    const messageId = await service.publish('refund.succeeded', refund);
    await service.publish('refund.succeeded', refund, messageId); // the broker redelivers the same message
    const againId = await service.publish('refund.succeeded', refund); // the same refund again, as a new message

    expect(await putBackFor('ord-10', 1)).toEqual([{ refundId: 'ref-10', items: [{ sku: 'LAMP-M', quantity: 2 }] }]);
    await waitFor(
      async () => {
        const handled = await service.dataSource.query(`SELECT 1 FROM inbox WHERE message_id = ANY($1::text[])`, [[messageId, againId]]);
        return handled.length === 2 && (await consumed('inventory.release-refunded-lines', 'duplicate')) > duplicatesBefore;
      },
      { what: 'all three deliveries to be handled' },
    );
    expect(await stockOf('LAMP-M')).toEqual({ sku: 'LAMP-M', productId: 'prod-lamp', onHand: 5, reserved: 0, available: 5 });
    expect(await putBack('ord-10')).toHaveLength(1);
  });

  it('restocks exactly the goods refund-service names, and never units that left with the shipment', async () => {
    await setStock('LAMP-S', 10);
    await setStock('LAMP-T', 10);
    await placeAndCapture('ord-20', [{ sku: 'LAMP-S', quantity: 2 }, { sku: 'LAMP-T', quantity: 3 }]);
    // one line refunded before shipping, then the rest shipped
    await service.publish('refund.succeeded', refundSucceeded({ refundId: 'ref-20a', orderId: 'ord-20', amount: 2000, shipped: false, restockItems: [{ sku: 'LAMP-S', quantity: 2 }] }));
    await putBackFor('ord-20', 1);
    const shippedId = await service.publish('order.shipped', { orderId: 'ord-20', carrier: 'dhl', trackingNumber: 'T-20', shippedAt: new Date().toISOString(), items: [{ sku: 'LAMP-T', quantity: 3 }] });
    await waitFor(async () => (await service.dataSource.query(`SELECT 1 FROM inbox WHERE message_id = $1`, [shippedId])).length === 1, { what: 'the shipment' });
    // a refund that says the goods never left, for goods that did: nothing comes back
    const wrongId = await service.publish('refund.succeeded', refundSucceeded({ refundId: 'ref-20b', orderId: 'ord-20', amount: 3000, shipped: false, restockItems: [{ sku: 'LAMP-T', quantity: 3 }] }));
    await waitFor(async () => (await service.dataSource.query(`SELECT 1 FROM inbox WHERE message_id = $1`, [wrongId])).length === 1, { what: 'the refund' });
    expect(await stockOf('LAMP-S')).toMatchObject({ onHand: 10, reserved: 0 });
    expect(await stockOf('LAMP-T')).toMatchObject({ onHand: 7, reserved: 0 });
    // the parcel came back and passed inspection (an amount-only refund: refund-service names what came back)
    await service.publish('refund.succeeded', refundSucceeded({ refundId: 'ref-20c', orderId: 'ord-20', amount: 2500, shipped: true, restock: true, restockItems: [{ sku: 'LAMP-T', quantity: 3 }] }));
    await waitFor(async () => (await putBack('ord-20')).filter((r) => r.items.length > 0).length === 2, { what: 'the returned goods back' });
    expect(await stockOf('LAMP-T')).toMatchObject({ onHand: 10, reserved: 0 });
    // and they come back once: a second return of the same units adds nothing
    const againId = await service.publish('refund.succeeded', refundSucceeded({ refundId: 'ref-20d', orderId: 'ord-20', amount: 100, shipped: true, restock: true, restockItems: [{ sku: 'LAMP-T', quantity: 1 }] }));
    await waitFor(async () => (await service.dataSource.query(`SELECT 1 FROM inbox WHERE message_id = $1`, [againId])).length === 1, { what: 'the second return' });
    expect(await stockOf('LAMP-T')).toMatchObject({ onHand: 10 });
  });

  it('leaves stock alone for a shipped refund without restock: the goods stay with the customer', async () => {
    await setStock('LAMP-G', 5);
    await placeAndCapture('ord-7', [{ sku: 'LAMP-G', quantity: 1 }]);
    const messageId = await service.publish(
      'refund.succeeded',
      refundSucceeded({ refundId: 'ref-7', orderId: 'ord-7', amount: 1000, shipped: true, items: [{ sku: 'LAMP-G', quantity: 1 }] }),
    );

    await waitFor(
      async () => (await service.dataSource.query(`SELECT 1 FROM inbox WHERE message_id = $1`, [messageId])).length === 1,
      { what: 'the shipped refund to be handled' },
    );
    expect(await stockOf('LAMP-G')).toMatchObject({ onHand: 4, reserved: 0 });
    expect(await putBack('ord-7')).toEqual([{ refundId: 'ref-7', items: [] }]);
  });

  it('lets only one of two orders placed at once for the last unit reserve it', async () => {
    await setStock('LAMP-LAST', 1);
    await Promise.all([
      service.publish('order.placed', orderPlaced('ord-race-1', [{ sku: 'LAMP-LAST', quantity: 1 }])),
      service.publish('order.placed', orderPlaced('ord-race-2', [{ sku: 'LAMP-LAST', quantity: 1 }])),
    ]);

    const outcomes = await Promise.all(['ord-race-1', 'ord-race-2'].map((orderId) => firstEvent(orderId)));
    expect(outcomes.map((event) => event.type).sort()).toEqual(['inventory.reservation_failed', 'inventory.reserved']);
    expect(await stockOf('LAMP-LAST')).toMatchObject({ onHand: 1, reserved: 1, available: 0 });
  });

  it('lets only one of two reservations in concurrent transactions take the last units', async () => {
    await setStock('LAMP-H', 2);
    await setStock('LAMP-I', 2);
    // two transactions at once, locking the same rows from lines given in opposite orders
    const reserve = (orderId: string, items: { sku: string; quantity: number }[]) =>
      service.dataSource.transaction((manager) =>
        reserveOrder({ messageId: `m-${orderId}`, type: 'order.placed', payload: orderPlaced(orderId, items), correlationId: orderId, attempt: 0 }, manager),
      );
    await Promise.all([
      reserve('ord-tx-1', [{ sku: 'LAMP-H', quantity: 2 }, { sku: 'LAMP-I', quantity: 1 }]),
      reserve('ord-tx-2', [{ sku: 'LAMP-I', quantity: 1 }, { sku: 'LAMP-H', quantity: 1 }]),
    ]);

    const orders = await service.dataSource.query(
      `SELECT order_id, status FROM inventory_orders WHERE order_id IN ('ord-tx-1', 'ord-tx-2') ORDER BY order_id`,
    );
    expect(orders.map((o: { status: string }) => o.status).sort()).toEqual(['reservation_failed', 'reserved']);
    const winner = orders.find((o: { status: string }) => o.status === 'reserved').order_id;
    const expected = winner === 'ord-tx-1' ? { h: 2, i: 1 } : { h: 1, i: 1 };
    expect(await stockOf('LAMP-H')).toMatchObject({ onHand: 2, reserved: expected.h });
    expect(await stockOf('LAMP-I')).toMatchObject({ onHand: 2, reserved: expected.i });
  });

  it('counts a shelf short of what paid orders wait for: the newest paid order’s line is short, announced once, and never shipped or counted again', async () => {
    const sku = `LAMP-COUNT-${Date.now()}`;
    await setStock(sku, 5);
    await placeAndCapture(`ord-count-old-${sku}`, [{ sku, quantity: 2 }]);
    await placeAndCapture(`ord-count-new-${sku}`, [{ sku, quantity: 2 }]);
    // 1 left on hand, 4 units paid for and not shipped: the shelf holds only 3
    const counted = await api().post(`/v1/stock/${sku}/counts`).set('Authorization', bearer.admin).send({ counted: 3 });
    expect(counted.status).toBe(200);
    expect(counted.body).toEqual({ sku, productId: 'prod-lamp', onHand: 0, reserved: 0, available: 0, heldForPaidOrders: 3, short: [{ orderId: `ord-count-new-${sku}`, quantity: 1 }] });
    const [short] = await waitFor(() => eventsOf(`ord-count-new-${sku}`, 'inventory.stock_short').length === 1 && eventsOf(`ord-count-new-${sku}`, 'inventory.stock_short'));
    expect(short.payload).toEqual({ orderId: `ord-count-new-${sku}`, sku, quantity: 1, shortQuantity: 1 });
    // the same count again finds nothing new missing
    const again = await api().post(`/v1/stock/${sku}/counts`).set('Authorization', bearer.admin).send({ counted: 3 });
    expect(again.body).toMatchObject({ heldForPaidOrders: 3, short: [] });
    expect(eventsOf(`ord-count-old-${sku}`, 'inventory.stock_short')).toEqual([]);
    for (const [body, status] of [[{ counted: -1 }, 400], [{ counted: 1.5 }, 400], [{}, 400]] as const) {
      expect((await api().post(`/v1/stock/${sku}/counts`).set('Authorization', bearer.admin).send(body)).status).toBe(status);
    }
    expect((await api().post(`/v1/stock/${sku}/counts`).set('Authorization', bearer.support).send({ counted: 3 })).status).toBe(403);
    expect((await api().post(`/v1/stock/NO-SUCH-${sku}/counts`).set('Authorization', bearer.admin).send({ counted: 3 })).status).toBe(404);
    expect(await stockOf(sku)).toMatchObject({ onHand: 0, reserved: 0 });
  });
});
