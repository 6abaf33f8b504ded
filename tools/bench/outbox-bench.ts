// `npm run bench:outbox` — end-to-end throughput and latency of the messaging backbone:
// commit (state row + outbox event) → relay → RabbitMQ (confirms, quorum queue) → idempotent consumer
// commit. As in production, the writing service (with its relay) and the consuming service are two
// processes. Options: --duration <s> (30) --rate <events/s> (500) --writers <n> (16).
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { AmqpBroker, DeadLetterStore, MessageConsumer, OutboxRelay, addToOutbox, messagingMigrations } from '@ebb/messaging';
import { dropDatabase, openDatabase } from '@ebb/persistence';
import { TEST_AMQP_URL, TEST_PG_BASE, sleep, uniqueSuffix } from '@ebb/testing';

class BenchState1764000009900 implements MigrationInterface {
  async up(queryRunner: QueryRunner) {
    await queryRunner.query(`CREATE TABLE bench_orders (id text PRIMARY KEY, status text NOT NULL)`);
    // consumed_at is taken by the consumer's transaction, on the same clock the writer reads
    await queryRunner.query(`CREATE TABLE bench_effects (key text PRIMARY KEY, consumed_at timestamptz NOT NULL DEFAULT clock_timestamp())`);
  }
  async down(queryRunner: QueryRunner) {
    await queryRunner.query(`DROP TABLE bench_orders; DROP TABLE bench_effects`);
  }
}

const migrations = [...messagingMigrations, BenchState1764000009900];
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

interface Topology {
  url: string;
  service: string;
  exchange: string;
}

/** The consuming service: its own process, its own pool, the library's idempotent consumer. */
async function runConsumer({ url, service, exchange }: Topology) {
  const dataSource = await openDatabase({ url, entities: [], migrations, poolSize: 10 });
  const broker = new AmqpBroker({ url: TEST_AMQP_URL, exchange, connectionName: `ebb-${service}-consumer` });
  await broker.waitForConnect();
  const consumer = new MessageConsumer(dataSource, broker, new DeadLetterStore(dataSource, broker), {
    service,
    exchange,
    prefetch: 100,
    maxRetries: 3,
    retryDelaysMs: [1000],
  });
  consumer.handle('bench-effect', 'bench.#', async (message, manager) => {
    await manager.query(`INSERT INTO bench_effects (key) VALUES ($1)`, [(message.payload as { key: string }).key]);
  });
  await consumer.start();
  process.send?.('ready');
  process.on('message', async () => {
    await consumer.stop(1000);
    await broker.close();
    await dataSource.destroy();
    process.exit(0);
  });
}

async function countEffects(dataSource: DataSource): Promise<number> {
  return (await dataSource.query(`SELECT count(*)::int AS n FROM bench_effects`))[0].n;
}

async function runBench() {
  const { values: args } = parseArgs({
    options: {
      duration: { type: 'string', default: '30' },
      rate: { type: 'string', default: '500' },
      writers: { type: 'string', default: '16' },
    },
  });
  const durationMs = Number(args.duration) * 1000;
  const fixedRate = Number(args.rate);
  const writers = Number(args.writers);

  const suffix = uniqueSuffix();
  const topology: Topology = { url: `${TEST_PG_BASE}/ebb_bench_outbox_${suffix}`, service: `bench-${suffix}`, exchange: `ebb.bench.${suffix}` };
  const dataSource = await openDatabase({ url: topology.url, entities: [], migrations, poolSize: 20 });
  const consumerProcess = fork(__filename, ['--consumer', JSON.stringify(topology)], { execArgv: ['-r', './tools/register.js'] });
  await new Promise((resolve) => consumerProcess.once('message', resolve));
  const broker = new AmqpBroker({ url: TEST_AMQP_URL, exchange: topology.exchange, connectionName: `ebb-${topology.service}-writer` });
  await broker.waitForConnect();
  const relay = new OutboxRelay(dataSource, broker, { databaseUrl: topology.url, batchSize: 200, pollMs: 1000 });
  await relay.start();

  const committedAt = new Map<string, number>();
  let seq = 0;
  const commitOne = async () => {
    const key = `e${seq++}`;
    await dataSource.transaction(async (manager) => {
      await manager.query(`INSERT INTO bench_orders (id, status) VALUES ($1, 'paid')`, [key]);
      await addToOutbox(manager, { type: 'bench.paid', payload: { key } });
    });
    committedAt.set(key, performance.timeOrigin + performance.now());
  };
  const waitConsumed = async (target: number, timeoutMs = 120000) => {
    const deadline = Date.now() + timeoutMs;
    let consumed = 0;
    while ((consumed = await countEffects(dataSource)) < target && Date.now() < deadline) await sleep(20);
    if (consumed < target) throw new Error(`only ${consumed} of ${target} events consumed`);
  };

  // 1. throughput: closed loop, every writer commits as fast as it can
  process.stdout.write(`throughput: ${writers} writers for ${durationMs / 1000} s … `);
  const t0 = performance.now();
  const stopAt = Date.now() + durationMs;
  await Promise.all(Array.from({ length: writers }, async () => {
    while (Date.now() < stopAt) await commitOne();
  }));
  const written = seq;
  await waitConsumed(written);
  const throughputSeconds = (performance.now() - t0) / 1000;
  const throughput = written / throughputSeconds;
  console.log(`${written} events in ${throughputSeconds.toFixed(1)} s = ${Math.round(throughput)} events/s end to end`);

  // 2. latency at a fixed rate (open loop: one commit every 1/rate s, whatever the last one did)
  process.stdout.write(`latency: ${fixedRate} events/s for ${durationMs / 1000} s … `);
  const firstKey = seq;
  const interval = 1000 / fixedRate;
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  let sent = 0;
  while (performance.now() - start < durationMs) {
    const due = Math.floor((performance.now() - start) / interval);
    while (sent < due) {
      inflight.push(commitOne());
      sent++;
    }
    await sleep(1);
  }
  await Promise.all(inflight);
  await waitConsumed(firstKey + sent);
  const rows: { key: string; consumed: number }[] = await dataSource.query(
    `SELECT key, EXTRACT(EPOCH FROM consumed_at) * 1000 AS consumed FROM bench_effects WHERE substr(key, 2)::int >= $1`,
    [firstKey],
  );
  const sorted = rows.map((row) => Number(row.consumed) - committedAt.get(row.key)!).sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  console.log(`${sent} events, commit → consumer commit p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms`);

  await sleep(500);
  const effects = await countEffects(dataSource);
  const [{ pending }] = await dataSource.query(`SELECT count(*)::int AS pending FROM outbox`);
  if (effects !== seq || pending !== 0) throw new Error(`ledger mismatch: ${seq} committed, ${effects} applied, ${pending} unpublished`);

  const result = {
    command: `npm run bench:outbox -- --duration ${durationMs / 1000} --rate ${fixedRate} --writers ${writers}`,
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    throughput: { events: written, seconds: Number(throughputSeconds.toFixed(2)), eventsPerSecond: Math.round(throughput) },
    latency: { rate: fixedRate, events: sent, p50Ms: Number(p50.toFixed(1)), p99Ms: Number(p99.toFixed(1)) },
    exactlyOnce: { committed: seq, applied: effects },
  };
  mkdirSync('tmp', { recursive: true });
  writeFileSync('tmp/bench-outbox.json', JSON.stringify(result, null, 2));
  console.log(`every committed event applied exactly once (${effects}); raw figures in tmp/bench-outbox.json`);

  consumerProcess.send('stop');
  await new Promise((resolve) => consumerProcess.once('exit', resolve));
  await relay.stop();
  const channel = broker.connection.createChannel({ setup: async () => undefined });
  await channel.waitForConnect();
  for (const queue of [`${topology.service}.events`, `${topology.service}.retry.1000`, `${topology.exchange}.unrouted`]) {
    await channel.deleteQueue(queue).catch(() => undefined);
  }
  await channel.deleteExchange(topology.exchange).catch(() => undefined);
  await channel.deleteExchange(`${topology.exchange}.unrouted`).catch(() => undefined);
  await broker.close();
  await dataSource.destroy();
  await dropDatabase(topology.url);
}

const consumerArg = process.argv.indexOf('--consumer');
(consumerArg >= 0 ? runConsumer(JSON.parse(process.argv[consumerArg + 1])) : runBench().then(() => process.exit(0))).catch((error) => {
  console.error(error);
  process.exit(1);
});
