import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ORDER_QUERY_PROTO, PROTO_LOADER_OPTIONS } from '@ebb/contracts';
import { waitFor } from '@ebb/testing';
import { type OrderService, bootOrderService, countRows, orderBody, tokens } from './order-service.harness';

/** The metadata another service's call carries: its `service` token. */
const serviceMetadata = () => {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${tokens.service}`);
  return metadata;
};

describe('order-service over HTTP and gRPC', () => {
  let svc: OrderService;
  let grpcClient: grpc.Client & Record<string, any>;

  beforeAll(async () => {
    svc = await bootOrderService('api');
    const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(ORDER_QUERY_PROTO, PROTO_LOADER_OPTIONS)) as any;
    grpcClient = new loaded.ebb.order.v1.OrderQuery(`127.0.0.1:${svc.grpcPort}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    grpcClient?.close();
    await svc?.close();
  });

  const getOrder = (orderId: string) =>
    new Promise<any>((resolve, reject) => grpcClient.GetOrder({ orderId }, serviceMetadata(), (error: grpc.ServiceError | null, order: any) => (error ? reject(error) : resolve(order))));

  const place = (customerId: string, overrides: Record<string, unknown> = {}, token = tokens.customer(customerId)) =>
    svc.api('/v1/orders', { token, body: orderBody(customerId, overrides) });

  it('places an order for the customer itself: 201, the total in minor units, awaiting payment, and order.placed published', async () => {
    const { status, body } = await place('cus_alice', { promisedShipBy: '2026-12-01T12:00:00Z' });
    expect(status).toBe(201);
    expect(body).toEqual({
      id: expect.stringMatching(/^ord_/),
      customerId: 'cus_alice',
      email: 'cus_alice@example.com',
      sellerId: 'default-seller',
      currency: 'USD',
      items: orderBody('cus_alice').items,
      shippingAmount: 500,
      totalAmount: 3999,
      capturedAmount: 0,
      refundedAmount: 0,
      status: 'pending_payment',
      paymentStatus: 'pending',
      fulfillmentStatus: 'unfulfilled',
      locale: 'en',
      promisedShipBy: '2026-12-01T12:00:00.000Z',
      createdAt: expect.any(String),
    });
    const placed = await waitFor(() => svc.seen.find((event) => event.type === 'order.placed' && event.payload.orderId === body.id), {
      what: 'order.placed on the test queue',
    });
    expect(placed.payload).toEqual({
      orderId: body.id,
      customerId: 'cus_alice',
      email: 'cus_alice@example.com',
      sellerId: 'default-seller',
      currency: 'USD',
      items: orderBody('cus_alice').items,
      shippingAmount: 500,
      totalAmount: 3999,
    });
    const again = await svc.api(`/v1/orders/${body.id}`, { token: tokens.customer('cus_alice') });
    expect(again).toEqual({ status: 200, body });
  });

  it('lets support place an order for any customer, with a seller of its choosing and no shipping', async () => {
    const { status, body } = await place('cus_bob', { sellerId: 'seller_9', shippingAmount: undefined }, tokens.support);
    expect(status).toBe(201);
    expect(body).toMatchObject({ customerId: 'cus_bob', sellerId: 'seller_9', shippingAmount: 0, totalAmount: 3499 });
  });

  it('refuses a customer placing an order for someone else with 403 and writes nothing', async () => {
    const before = await countRows(svc.dataSource, 'orders');
    const { status, body } = await place('cus_mallory', {}, tokens.customer('cus_eve'));
    expect(status).toBe(403);
    expect(body.error.code).toBe('forbidden');
    expect(await countRows(svc.dataSource, 'orders')).toBe(before);
  });

  it('refuses bad input with validation_error naming each bad field, and writes nothing', async () => {
    const before = await Promise.all((['orders', 'order_lines', 'order_history', 'outbox'] as const).map((table) => countRows(svc.dataSource, table)));
    const cases: [Record<string, unknown>, string][] = [
      [{ email: 'not-an-address' }, 'email'],
      [{ currency: 'usd' }, 'currency'],
      [{ currency: 'XYZ' }, 'currency'],
      [{ items: [] }, 'items'],
      [{ items: [{ productId: 'p', sku: 'S', quantity: 0, unitAmount: 100 }] }, 'items.0.quantity'],
      [{ items: [{ productId: 'p', sku: 'S', quantity: 1.5, unitAmount: 100 }] }, 'items.0.quantity'],
      [{ items: [{ productId: 'p', sku: 'S', quantity: 1, unitAmount: 12.5 }] }, 'items.0.unitAmount'],
      [{ items: [{ productId: 'p', sku: 'S', quantity: 1, unitAmount: -1 }] }, 'items.0.unitAmount'],
      [{ shippingAmount: -500 }, 'shippingAmount'],
      [{ shippingAmount: '500' }, 'shippingAmount'],
      [{ promisedShipBy: 'next tuesday' }, 'promisedShipBy'],
      [{ discount: 100 }, 'discount'],
    ];
    for (const [overrides, field] of cases) {
      const { status, body } = await place('cus_carol', overrides);
      expect({ overrides, status, code: body.error.code }).toEqual({ overrides, status: 400, code: 'validation_error' });
      expect(body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    }
    const after = await Promise.all((['orders', 'order_lines', 'order_history', 'outbox'] as const).map((table) => countRows(svc.dataSource, table)));
    expect(after).toEqual(before);
  });

  it('refuses two lines with the same SKU instead of merging them', async () => {
    const { status, body } = await place('cus_carol', {
      items: [
        { productId: 'prod_mug', sku: 'MUG-BLUE', quantity: 1, unitAmount: 1250 },
        { productId: 'prod_mug', sku: 'MUG-BLUE', quantity: 1, unitAmount: 1000 },
      ],
    });
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 'validation_error', details: [{ field: 'items.1.sku' }] });
  });

  it('refuses an order whose total would not fit in exact minor units', async () => {
    const { status, body } = await place('cus_carol', {
      items: [{ productId: 'p', sku: 'HUGE', quantity: 1_000_000, unitAmount: Number.MAX_SAFE_INTEGER }],
    });
    expect(status).toBe(400);
    expect(body.error.details).toEqual([expect.objectContaining({ field: 'items' })]);
  });

  it("shows a customer its own order and answers 404 order_not_found for another customer's", async () => {
    const { body: order } = await place('cus_dave');
    expect((await svc.api(`/v1/orders/${order.id}`, { token: tokens.customer('cus_dave') })).status).toBe(200);
    const foreign = await svc.api(`/v1/orders/${order.id}`, { token: tokens.customer('cus_eve') });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('order_not_found');
    const unknown = await svc.api('/v1/orders/ord_does_not_exist', { token: tokens.support });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('order_not_found');
    expect((await svc.api(`/v1/orders/${order.id}`, { token: tokens.support })).body).toEqual(order);
  });

  it('asks for a token on every order route', async () => {
    const { status, body } = await svc.api('/v1/orders', { body: orderBody('cus_dave') });
    expect(status).toBe(401);
    expect(body.error.code).toBe('unauthorized');
    expect((await svc.api('/v1/orders/ord_x')).status).toBe(401);
  });

  it('lists a customer only its own orders; support lists any customer', async () => {
    await place('cus_frank');
    await place('cus_frank');
    await place('cus_grace');
    const own = await svc.api('/v1/orders', { token: tokens.customer('cus_frank') });
    expect(own.status).toBe(200);
    expect(own.body.items.map((order: any) => order.customerId)).toEqual(['cus_frank', 'cus_frank']);
    const snooping = await svc.api('/v1/orders?customerId=cus_grace', { token: tokens.customer('cus_frank') });
    expect(snooping.status).toBe(403);
    const support = await svc.api('/v1/orders?customerId=cus_grace', { token: tokens.support });
    expect(support.body.items).toEqual([expect.objectContaining({ customerId: 'cus_grace', items: orderBody('cus_grace').items })]);
  });

  it('answers the same order again for a repeated Idempotency-Key, and places it once', async () => {
    const before = await countRows(svc.dataSource, 'orders');
    const headers = { 'Idempotency-Key': 'place-henry-1' };
    const first = await svc.api('/v1/orders', { token: tokens.customer('cus_henry'), body: orderBody('cus_henry'), headers });
    const second = await svc.api('/v1/orders', { token: tokens.customer('cus_henry'), body: orderBody('cus_henry'), headers });
    expect(first.status).toBe(201);
    expect(second).toEqual(first);
    expect(await countRows(svc.dataSource, 'orders')).toBe(before + 1);
  });

  it('refuses to ship an order whose payment is not captured, and to deliver one not shipped (409)', async () => {
    const { body: order } = await place('cus_ivan');
    const ship = await svc.api(`/v1/orders/${order.id}/shipments`, { token: tokens.support, body: { carrier: 'ups', trackingNumber: '1Z999' } });
    expect(ship.status).toBe(409);
    expect(ship.body.error).toMatchObject({ code: 'order_not_shippable', details: { paymentStatus: 'pending' } });
    const deliver = await svc.api(`/v1/orders/${order.id}/delivery`, { token: tokens.support, method: 'POST' });
    expect(deliver.status).toBe(409);
    expect(deliver.body.error.code).toBe('order_not_deliverable');
    const byCustomer = await svc.api(`/v1/orders/${order.id}/shipments`, { token: tokens.customer('cus_ivan'), body: { carrier: 'ups', trackingNumber: '1Z999' } });
    expect(byCustomer.status).toBe(403);
    const unknown = await svc.api('/v1/orders/ord_nope/shipments', { token: tokens.support, body: { carrier: 'ups', trackingNumber: '1Z999' } });
    expect(unknown.status).toBe(404);
    expect((await svc.api(`/v1/orders/${order.id}`, { token: tokens.support })).body.fulfillmentStatus).toBe('unfulfilled');
  });

  it('answers OrderQuery.GetOrder over gRPC with the order, and empty strings for what is not known yet', async () => {
    const { body: order } = await place('cus_judy');
    const message = await getOrder(order.id);
    expect(message).toEqual({
      id: order.id,
      customerId: 'cus_judy',
      email: 'cus_judy@example.com',
      sellerId: 'default-seller',
      currency: 'USD',
      items: orderBody('cus_judy').items.map((line) => ({ ...line, shippedQuantity: 0 })),
      shippingAmount: 500,
      totalAmount: 3999,
      capturedAmount: 0,
      refundedAmount: 0,
      status: 'pending_payment',
      paymentStatus: 'pending',
      fulfillmentStatus: 'unfulfilled',
      paymentId: '',
      createdAt: order.createdAt,
      shippedAt: '',
      deliveredAt: '',
      carrier: '',
      trackingNumber: '',
      locale: 'en',
      promisedShipBy: '',
    });
  });

  it('answers NOT_FOUND over gRPC for an unknown order, and INVALID_ARGUMENT for no order id', async () => {
    await expect(getOrder('ord_unknown')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND, details: 'no order ord_unknown' });
    await expect(getOrder('')).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
  });
});
