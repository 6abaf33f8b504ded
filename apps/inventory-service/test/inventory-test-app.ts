import { DataSource } from 'typeorm';
import { loadConfig } from '@ebb/config';
import { AmqpBroker } from '@ebb/messaging';
import {
  type PublishAs,
  type SeenEvent,
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
import { inventoryEnvSchema } from '../src/config';

export const RETRY_DELAYS_MS = [100, 200, 400];

export const bearer = {
  admin: `Bearer ${tokenFor('admin', 'ops-1')}`,
  service: `Bearer ${tokenFor('service', 'order-service')}`,
  support: `Bearer ${tokenFor('support', 'agent-1')}`,
  customer: `Bearer ${tokenFor('customer', 'cust-1')}`,
};

export type { SeenEvent };

export interface InventoryTestApp extends TestApp {
  dataSource: DataSource;
  /** every `inventory.*` event the service published, in arrival order */
  events: SeenEvent[];
  /** publishes an event as another service would; give `messageId` to redeliver the same message */
  publish: PublishAs;
  stop(): Promise<void>;
}

/**
 * inventory-service as it runs, on a fresh database, an exchange and a SERVICE_NAME of this test
 * file's own (so its queues never meet another test's), with a queue of the test's own that
 * records what it publishes.
 */
export async function bootInventory(label: string): Promise<InventoryTestApp> {
  const suffix = uniqueSuffix();
  const database: TestDatabase = await freshDatabase(`inventory_${label}`);
  const exchange = `ebb.test.inventory-${label}.${suffix}`;
  const service = `inventory-test-${label}-${suffix}`;
  const env = {
    ...loadConfig(inventoryEnvSchema, {
      DATABASE_URL: database.url,
      EBB_EXCHANGE: exchange,
      NODE_ENV: 'test',
      MESSAGE_RETRY_DELAYS_MS: RETRY_DELAYS_MS.join(','),
      // the last delay repeats: a message that waits for another (a capture before its order) gets about 1.5 s
      MESSAGE_MAX_RETRIES: '5',
      OUTBOX_POLL_MS: '200',
      LOG_LEVEL: 'warn',
    }),
    SERVICE_NAME: service,
  };
  const testApp = await bootTestApp({ module: AppModule.forRoot(env) });
  const watch = await watchBus(exchange, 'inventory.#');

  return {
    ...testApp,
    dataSource: testApp.app.get(DataSource),
    events: watch.events,
    publish: publisherOn(testApp.app.get(AmqpBroker)),
    async stop() {
      await watch.close();
      await testApp.close();
      await deleteTopology(service, exchange);
      await database.drop();
    },
  };
}

/** Removes the test's queues and exchanges from the shared broker. */
const deleteTopology = (service: string, exchange: string) =>
  deleteBusTopology({ service, exchange, retryDelaysMs: RETRY_DELAYS_MS });
