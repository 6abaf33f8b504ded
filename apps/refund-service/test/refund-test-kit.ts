import type { OrderMessage } from '@ebb/contracts';
import { loadConfig } from '@ebb/config';
import { AmqpBroker } from '@ebb/messaging';
import {
  type PublishAs,
  type SeenEvent,
  deleteBusTopology,
  type TestApp,
  type TestDatabase,
  bootTestApp,
  freePort,
  freshDatabase,
  orderMessage,
  publisherOn,
  startOrderQueryServer,
  startSandbox,
  TestPlatform,
  uniqueSuffix,
  watchBus,
} from '@ebb/testing';
import { AppModule } from '../src/app.module';
import { refundEnvSchema } from '../src/config';

export { type SeenEvent, startOrderQueryServer };

export interface RefundTestBed {
  suffix: string;
  /** the exchange of the test's own the service publishes and consumes on */
  exchange: string;
  app: TestApp;
  orders: Map<string, OrderMessage>;
  /** the OrderQuery server of the test: what it was asked to hold, and a way to make holds fail */
  orderQuery: Awaited<ReturnType<typeof startOrderQueryServer>>;
  /** the sandbox standing in for the carrier (`POST /__sandbox/faults` slows or fails it) */
  sandboxUrl: string;
  /** every refund.* event published on the test's exchange, in arrival order */
  events: SeenEvent[];
  publish: PublishAs;
  /** inventory-service as a process of its own, when the bed was opened with `inventory: true` */
  inventory?: TestPlatform;
  /** one more refund-service on the same database, bus and Redis (closed with the bed) */
  replica(): Promise<TestApp>;
  close(): Promise<void>;
}

const RETRY_DELAYS_MS = [100, 200, 400];

/**
 * refund-service booted as in production on a fresh database, an exchange and service name of the
 * test's own, real Redis, an OrderQuery server of the test's own and the sandbox as the carrier; a
 * queue of the test's own records the refund events it publishes.
 */
export async function openRefundTestBed(label: string, settings: Record<string, string> = {}, options: { inventory?: boolean } = {}): Promise<RefundTestBed> {
  const suffix = uniqueSuffix();
  const exchange = `ebb.test.refunds-${label}.${suffix}`;
  // the catalogue (products' sellers, titles) is read from the real inventory-service, whose
  // inventory.seller_updated reaches this refund-service on the test's exchange
  const inventory = options.inventory ? await TestPlatform.start(['inventory'], { inventory: { EBB_EXCHANGE: exchange } }) : undefined;
  const orders = new Map<string, OrderMessage>();
  const grpcServer = await startOrderQueryServer(orders);
  const database: TestDatabase = await freshDatabase(`refunds_${label}`);
  const carrierPort = await freePort();
  const carrier = await startSandbox(carrierPort);
  const service = `refunds-test-${label}-${suffix}`;
  const env = {
    ...loadConfig(refundEnvSchema, {
      DATABASE_URL: database.url,
      EBB_EXCHANGE: exchange,
      NODE_ENV: 'test',
      ORDER_GRPC_URL: grpcServer.url,
      CARRIER_URL: `http://127.0.0.1:${carrierPort}/carrier`,
      ...(inventory ? { INVENTORY_URL: inventory.url('inventory') } : {}),
      MESSAGE_RETRY_DELAYS_MS: RETRY_DELAYS_MS.join(','),
      OUTBOX_POLL_MS: '200',
      OUTBOUND_POLL_MS: '200',
      JOBS_POLL_SECONDS: '0.5',
      JOBS_MAINTENANCE_SECONDS: '1',
      LOG_LEVEL: 'warn',
      ...settings,
    }),
    SERVICE_NAME: service,
  };
  const app = await bootTestApp({ module: AppModule.forRoot(env) });
  const replicas: TestApp[] = [];

  const watch = await watchBus(exchange, 'refund.#');

  return {
    suffix,
    exchange,
    app,
    orders,
    orderQuery: grpcServer,
    sandboxUrl: `http://127.0.0.1:${carrierPort}`,
    inventory,
    events: watch.events,
    publish: publisherOn(app.app.get(AmqpBroker)),
    async replica() {
      const replica = await bootTestApp({ module: AppModule.forRoot(env) });
      replicas.push(replica);
      return replica;
    },
    async close() {
      await watch.close();
      for (const replica of replicas) await replica.close();
      await app.close();
      await grpcServer.close();
      carrier.kill();
      await inventory?.stop();
      await deleteTopology(service, exchange);
      await database.drop();
    },
  };
}

const deleteTopology = (service: string, exchange: string) =>
  deleteBusTopology({ service, exchange, retryDelaysMs: RETRY_DELAYS_MS });

/** A captured, unshipped order of 5500: two SKU-A at 1500, one SKU-B at 2000, shipping 500. */
export function capturedOrder(id: string, overrides: Partial<OrderMessage> = {}): OrderMessage {
  return orderMessage({
    id,
    customerId: 'cus_alice',
    email: 'alice@example.com',
    sellerId: 'sel_1',
    items: [
      { productId: 'prod_a', sku: 'SKU-A', quantity: 2, unitAmount: 1500, shippedQuantity: 0 },
      { productId: 'prod_b', sku: 'SKU-B', quantity: 1, unitAmount: 2000, shippedQuantity: 0 },
    ],
    shippingAmount: 500,
    totalAmount: 5500,
    capturedAmount: 5500,
    status: 'open',
    paymentStatus: 'captured',
    paymentId: 'pay_1',
    ...overrides,
  });
}
