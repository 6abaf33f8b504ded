import { randomBytes } from 'node:crypto';
import { dropDatabase, ensureDatabase } from '@ebb/persistence';
import { poll } from '@ebb/api-client';

/** A short random suffix that keeps one test file's databases, queues and keys apart from another's. */
export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

export const TEST_PG_BASE = process.env.EBB_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const TEST_AMQP_URL = process.env.EBB_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const TEST_REDIS_URL = process.env.EBB_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new, empty database for one test file (`ebb_test_<label>_<suffix>`), dropped by `drop()`. */
export async function freshDatabase(label: string): Promise<TestDatabase> {
  const name = `ebb_test_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${uniqueSuffix()}`;
  const url = `${TEST_PG_BASE}/${name}`;
  await ensureDatabase(url);
  return { url, drop: () => dropDatabase(url) };
}

/**
 * Polls until `probe` returns a value other than undefined/false, or fails after `timeoutMs`; a probe
 * that throws is asked again (the last error is named on timeout). The tests' defaults over `poll`.
 */
export function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 15000, intervalMs = 25, what = 'condition' } = {},
): Promise<T> {
  return poll(what, probe, { timeoutMs, intervalMs, retryErrors: true });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Deletes what a test service declared on the shared broker: its queue, its retry queues, the
 * exchange and its unrouted companion, and any extra queues the test bound for itself.
 */
export async function deleteBusTopology(options: { service: string; exchange: string; retryDelaysMs: number[]; extraQueues?: string[] }): Promise<void> {
  const { default: amqplib } = await import('amqplib');
  const connection = await amqplib.connect(TEST_AMQP_URL);
  const channel = await connection.createChannel();
  const queues = [
    ...(options.extraQueues ?? []),
    `${options.service}.events`,
    ...options.retryDelaysMs.map((delay) => `${options.service}.retry.${delay}`),
    `${options.exchange}.unrouted`,
  ];
  for (const queue of queues) await channel.deleteQueue(queue).catch(() => undefined);
  await channel.deleteExchange(options.exchange).catch(() => undefined);
  await channel.deleteExchange(`${options.exchange}.unrouted`).catch(() => undefined);
  await connection.close().catch(() => undefined);
}
