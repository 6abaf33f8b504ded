import { DataSource } from 'typeorm';
import { loadConfig } from '@ebb/config';
import { AmqpBroker } from '@ebb/messaging';
import {
  type PublishAs,
  type SeenEvent,
  TEST_AMQP_URL,
  deleteBusTopology,
  type TestApp,
  type TestDatabase,
  bootTestApp,
  freshDatabase,
  publisherOn,
  tokenFor,
  uniqueSuffix,
  watchBus,
} from '@ebb/testing';
import { AppModule } from '../src/app.module';
import { orderEnvSchema } from '../src/config';
import { OrderQueryServer } from '../src/grpc/order-query.server';

const RETRY_DELAYS_MS = [100, 200];

export type { SeenEvent };

/** order-service booted on a fresh database and an exchange of its own, with a queue that sees every `order.*` it emits. */
export interface OrderService {
  testApp: TestApp;
  dataSource: DataSource;
  databaseUrl: string;
  grpcPort: number;
  seen: SeenEvent[];
  api(path: string, init?: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any }>;
  /** Publishes an event on the test exchange as another service would. */
  publish: PublishAs;
  close(): Promise<void>;
}

/** order-service runs here as in production: other services sign with a secret of their own, not EBB_JWT_SECRET's. */
export const TEST_SERVICE_SECRET = 'orders-test-service-secret';

export const tokens = {
  support: tokenFor('support', 'agent-1'),
  admin: tokenFor('admin', 'ops-1'),
  service: tokenFor('service', 'payments', TEST_SERVICE_SECRET),
  customer: (sub: string) => tokenFor('customer', sub),
};

export async function bootOrderService(label: string): Promise<OrderService> {
  const suffix = uniqueSuffix();
  const service = `orders-test-${label}-${suffix}`;
  const exchange = `ebb.test.orders-${label}.${suffix}`;
  const database: TestDatabase = await freshDatabase(`orders_${label}`);
  const env = {
    ...loadConfig(orderEnvSchema, {
      DATABASE_URL: database.url,
      EBB_EXCHANGE: exchange,
      NODE_ENV: 'test',
      ORDER_GRPC_HOST: '127.0.0.1',
      ORDER_GRPC_PORT: '0',
      EBB_SERVICE_SECRET: TEST_SERVICE_SECRET,
      MESSAGE_RETRY_DELAYS_MS: RETRY_DELAYS_MS.join(','),
      MESSAGE_MAX_RETRIES: String(RETRY_DELAYS_MS.length),
      OUTBOX_POLL_MS: '200',
      JOBS_POLL_SECONDS: '0.5',
    }),
    SERVICE_NAME: service,
  };
  const testApp = await bootTestApp({ module: AppModule.forRoot(env) });

  // a queue of the test's own, bound before anything is published, sees every order event
  const watch = await watchBus(exchange, 'order.#');

  const broker = new AmqpBroker({ url: TEST_AMQP_URL, exchange, connectionName: `ebb-${service}-publisher` });
  await broker.waitForConnect();

  return {
    testApp,
    dataSource: testApp.app.get(DataSource),
    databaseUrl: database.url,
    grpcPort: testApp.app.get(OrderQueryServer).port,
    seen: watch.events,
    async api(path, init = {}) {
      const response = await fetch(`${testApp.url}${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: {
          ...(init.token && { Authorization: `Bearer ${init.token}` }),
          ...(init.body !== undefined && { 'content-type': 'application/json' }),
          ...init.headers,
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    publish: publisherOn(broker),
    async close() {
      await testApp.close();
      await broker.close();
      await watch.close();
      await deleteBusTopology({ service, exchange, retryDelaysMs: RETRY_DELAYS_MS });
      await database.drop();
    },
  };
}

/** A valid order body for `customerId`: 2 × 1250 + 1 × 999 + 500 shipping = 3999. */
export function orderBody(customerId: string, overrides: Record<string, unknown> = {}) {
  return {
    customerId,
    email: `${customerId}@example.com`,
    currency: 'USD',
    items: [
      { productId: 'prod_mug', sku: 'MUG-BLUE', quantity: 2, unitAmount: 1250 },
      { productId: 'prod_tea', sku: 'TEA-GREEN', quantity: 1, unitAmount: 999 },
    ],
    shippingAmount: 500,
    ...overrides,
  };
}

/** Rows in a table, how "nothing was written" is proved; for `outbox`, every row ever written (published ones included). */
export async function countRows(dataSource: DataSource, table: 'orders' | 'order_lines' | 'order_history' | 'outbox' | 'order_applied_refunds'): Promise<number> {
  // the relay deletes outbox rows once published: how many were ever written is what its sequence has handed out
  const [row] = await dataSource.query(table === 'outbox' ? `SELECT CASE WHEN is_called THEN last_value ELSE 0 END::int AS n FROM outbox_id_seq` : `SELECT count(*)::int AS n FROM ${table}`);
  return row.n;
}
