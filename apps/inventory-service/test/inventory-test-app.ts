import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { DataSource } from 'typeorm';
import { loadConfig } from '@ebb/config';
import { AmqpBroker } from '@ebb/messaging';
import { TEST_AMQP_URL, deleteBusTopology, type TestApp, type TestDatabase, bootTestApp, freshDatabase, tokenFor, uniqueSuffix } from '@ebb/testing';
import { AppModule } from '../src/app.module';
import { inventoryEnvSchema } from '../src/config';

export const RETRY_DELAYS_MS = [100, 200, 400];

export const bearer = {
  admin: `Bearer ${tokenFor('admin', 'ops-1')}`,
  service: `Bearer ${tokenFor('service', 'order-service')}`,
  support: `Bearer ${tokenFor('support', 'agent-1')}`,
  customer: `Bearer ${tokenFor('customer', 'cust-1')}`,
};

export interface SeenEvent {
  type: string;
  messageId: string;
  payload: any;
}

export interface InventoryTestApp extends TestApp {
  dataSource: DataSource;
  /** every `inventory.*` event the service published, in arrival order */
  events: SeenEvent[];
  /** publishes an event as another service would; give `messageId` to redeliver the same message */
  publish(type: string, payload: object, messageId?: string): Promise<string>;
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
  const broker = testApp.app.get(AmqpBroker);

  const events: SeenEvent[] = [];
  const tapConnection = await amqplib.connect(TEST_AMQP_URL);
  const tap = await tapConnection.createChannel();
  const tapQueue = `${service}.tap`;
  await tap.assertQueue(tapQueue, { exclusive: true, autoDelete: true });
  await tap.bindQueue(tapQueue, exchange, 'inventory.#');
  await tap.consume(
    tapQueue,
    (message) => {
      if (!message) return;
      events.push({
        type: message.properties.type ?? message.fields.routingKey,
        messageId: message.properties.messageId,
        payload: JSON.parse(message.content.toString('utf8')),
      });
    },
    { noAck: true },
  );

  return {
    ...testApp,
    dataSource: testApp.app.get(DataSource),
    events,
    async publish(type, payload, messageId = randomUUID()) {
      await broker.publish(type, Buffer.from(JSON.stringify(payload)), {
        messageId,
        type,
        correlationId: `test-${messageId}`,
        occurredAt: new Date().toISOString(),
      });
      return messageId;
    },
    async stop() {
      await tapConnection.close().catch(() => undefined);
      await testApp.close();
      await deleteTopology(service, exchange);
      await database.drop();
    },
  };
}

/** Removes the test's queues and exchanges from the shared broker. */
const deleteTopology = (service: string, exchange: string) =>
  deleteBusTopology({ service, exchange, retryDelaysMs: RETRY_DELAYS_MS });
