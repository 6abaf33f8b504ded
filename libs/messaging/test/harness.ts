import { execFileSync } from 'node:child_process';
import type { DataSource, EntityManager } from 'typeorm';
import { openDatabase } from '@ebb/persistence';
import { TEST_AMQP_URL, deleteBusTopology, type TestDatabase, freshDatabase, uniqueSuffix } from '@ebb/testing';
import { metricsRegistry } from '@ebb/observability';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { AmqpBroker, DeadLetterStore, MessageConsumer, type MessageHandler, OutboxRelay, messagingMigrations } from '../src';

/** The test service's own state: one row per effect, so "exactly once" is a count. */
export class TestEffects1764000009000 implements MigrationInterface {
  async up(queryRunner: QueryRunner) {
    await queryRunner.query(`CREATE TABLE effects (id bigserial PRIMARY KEY, key text NOT NULL, message_id text NOT NULL)`);
    await queryRunner.query(`CREATE TABLE orders (id text PRIMARY KEY, status text NOT NULL)`);
  }
  async down(queryRunner: QueryRunner) {
    await queryRunner.query(`DROP TABLE effects; DROP TABLE orders`);
  }
}

export const testMigrations = [...messagingMigrations, TestEffects1764000009000];

/** Records the effect of a message: the row every exactly-once assertion counts. */
export const recordEffect: MessageHandler<{ key: string }> = async (message, manager: EntityManager) => {
  await manager.query(`INSERT INTO effects (key, message_id) VALUES ($1, $2)`, [message.payload.key, message.messageId]);
};

export interface Bus {
  service: string;
  exchange: string;
  database: TestDatabase;
  dataSource: DataSource;
  broker: AmqpBroker;
  consumer: MessageConsumer;
  relay: OutboxRelay;
  deadLetters: DeadLetterStore;
  close(): Promise<void>;
}

export interface BusOptions {
  retryDelaysMs?: number[];
  maxRetries?: number;
  prefetch?: number;
  batchSize?: number;
}

/** A small service of the test's own: a fresh database, its own exchange and queues, relay and consumer. */
export async function openBus(label: string, options: BusOptions = {}): Promise<Bus> {
  const suffix = uniqueSuffix();
  const service = `test-${label}-${suffix}`;
  const exchange = `ebb.test.${label}.${suffix}`;
  const database = await freshDatabase(`messaging_${label}`);
  const dataSource = await openDatabase({ url: database.url, entities: [], migrations: testMigrations });
  const broker = new AmqpBroker({ url: TEST_AMQP_URL, exchange, connectionName: `ebb-${service}` });
  await broker.waitForConnect();
  const deadLetters = new DeadLetterStore(dataSource, broker);
  const retryDelaysMs = options.retryDelaysMs ?? [100, 200, 400];
  const consumer = new MessageConsumer(dataSource, broker, deadLetters, {
    service,
    exchange,
    prefetch: options.prefetch ?? 50,
    maxRetries: options.maxRetries ?? retryDelaysMs.length,
    retryDelaysMs,
  });
  const relay = new OutboxRelay(dataSource, broker, { databaseUrl: database.url, batchSize: options.batchSize ?? 100, pollMs: 200 });
  return {
    service,
    exchange,
    database,
    dataSource,
    broker,
    consumer,
    relay,
    deadLetters,
    async close() {
      await consumer.stop(1000);
      await relay.stop();
      await broker.close();
      await deleteTopology(service, exchange, [...new Set(retryDelaysMs)]);
      await dataSource.destroy();
      await database.drop();
    },
  };
}

export const deleteTopology = (service: string, exchange: string, retryDelaysMs: number[]) =>
  deleteBusTopology({ service, exchange, retryDelaysMs });

export async function countEffects(dataSource: DataSource, key?: string): Promise<number> {
  const [row] = await dataSource.query(
    `SELECT count(*)::int AS n FROM effects WHERE ($1::text IS NULL OR key = $1)`,
    [key ?? null],
  );
  return row.n;
}

/** How many times a handler reached an outcome (handled, duplicate, retried, parked), from /metrics. */
export async function consumedCount(handler: string, outcome: string): Promise<number> {
  const metric = metricsRegistry.getSingleMetric('messages_consumed_total');
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.find((value) => value.labels.handler === handler && value.labels.outcome === outcome)?.value ?? 0;
}

/** Closes, on the broker's side, every AMQP connection whose connection_name starts with `prefix`. */
export function closeBrokerConnections(prefix: string): number {
  // the tab-separated listing gives pids in the form close_connection accepts
  const listed = execFileSync('rabbitmqctl', ['list_connections', 'pid', 'client_properties', '-q', '--no-table-headers'])
    .toString()
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t'));
  const mine = listed.filter(([, properties]) => properties?.includes(`{"connection_name","${prefix}`));
  for (const [pid] of mine) {
    execFileSync('rabbitmqctl', ['close_connection', pid, 'test: connection dropped on purpose', '-q']);
  }
  return mine.length;
}
