// What this machine's servers can do alone, with no Ebb code in the path: PostgreSQL (pgbench), Redis
// (redis-benchmark) and RabbitMQ (confirmed persistent publishes through a quorum queue to an acking
// consumer). `npm run bench -- --limits` shows Ebb's throughput as a fraction of these figures.
// Alone: `node -r ./tools/register.js tools/bench/limits.ts --duration 10` prints them as JSON
// (--publishers <n> --window <n> override the RabbitMQ load, for tuning).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import amqplib, { type ChannelModel, type ConsumeMessage } from 'amqplib';
import Redis from 'ioredis';
import { corkBurst } from '@ebb/messaging';
import { dropDatabase, ensureDatabase } from '@ebb/persistence';
import { percentiles } from './scenarios';
import { TEST_AMQP_URL, TEST_PG_BASE, TEST_REDIS_URL, sleep, uniqueSuffix } from '@ebb/testing';

export interface LimitFigures {
  pgbench: { clients: number; scale: number; durationS: number; tps: number; latencyAvgMs: number; command: string };
  redis: { requests: number; clients: number; setPerSec: number; getPerSec: number; command: string };
  rabbitmq: {
    durationS: number;
    publishers: number;
    queueType: 'quorum';
    persistent: true;
    confirms: true;
    messagesPerSec: number;
    p50Ms: number;
    p99Ms: number;
    messageBytes: number;
  };
}

type Log = (line: string) => void;

const PGBENCH_DATABASE = 'ebb_bench_pgbench';
const PGBENCH_CLIENTS = 4;
const PGBENCH_THREADS = 2;
// TPC-B updates one pgbench_branches row per transaction and there are `scale` branches: with fewer
// branches than clients, transactions queue on each other's row locks and the figure measures that
const PGBENCH_SCALE = 4;

const REDIS_REQUESTS = 100_000;
const REDIS_CLIENTS = 50;
// a database Ebb never selects (it uses 0); redis-benchmark writes the single key below, removed afterwards
const REDIS_BENCH_DB = 15;
const REDIS_BENCH_KEY = 'key:__rand_int__';

// Tuned on this 2-core machine (RabbitMQ 3.10, one quorum queue), 8 s runs, best of several each:
// 1 publisher, 500 unconfirmed, 500 unconsumed: 12.3k msg/s, p50 37 ms (the best, and the lowest latency)
// 1 publisher, 500 / 1000: 9.9k msg/s, p50 78 ms; 2 publishers, 500 / 1000: 8.9k msg/s, p50 102 ms
// 2 publishers, 500 / 2000: 10.9k msg/s, p50 149 ms; 1 publisher, 200 / 200: 6.0k msg/s, p50 26 ms
// Without the unconsumed bound (confirms alone), publishers outran the consumer ~2.5×, the queue
// grew all run long and only 2.9k-5.5k msg/s got through, at p50 2-4 s.
const AMQP_PUBLISHERS = 1;
const AMQP_WINDOW = 500;
// published but not yet consumed, all publishers together: past what the consumer keeps up with, a
// publisher only grows the queue, and the latency becomes the age of the backlog
const AMQP_BACKLOG = 500;
const AMQP_PREFETCH = 200;
const AMQP_ACK_EVERY = 50;
// not counted: lets the queue's leader, the channels and the consumer reach their steady state
const AMQP_WARMUP_MS = 1000;

const round = (value: number, digits = 0) => Number(value.toFixed(digits));

function run(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(`${stdout}\n${stderr}`);
    });
  });
}

function parseNumber(output: string, pattern: RegExp, what: string): number {
  const match = pattern.exec(output);
  if (!match) throw new Error(`no ${what} in output:\n${output}`);
  return Number(match[1]);
}

/** pgbench's builtin TPC-B-like script against a database of its own, dropped afterwards. */
async function measurePostgres(durationS: number, log: Log): Promise<LimitFigures['pgbench']> {
  const url = `${TEST_PG_BASE}/${PGBENCH_DATABASE}`;
  await ensureDatabase(url);
  try {
    log(`pgbench: initialising scale ${PGBENCH_SCALE} in ${PGBENCH_DATABASE}`);
    await run('pgbench', ['-i', '-s', String(PGBENCH_SCALE), '-q', url]);
    const args = ['-c', String(PGBENCH_CLIENTS), '-j', String(PGBENCH_THREADS), '-T', String(durationS), url];
    log(`pgbench: ${PGBENCH_CLIENTS} clients for ${durationS} s`);
    const output = await run('pgbench', args);
    const figures = {
      clients: PGBENCH_CLIENTS,
      scale: PGBENCH_SCALE,
      durationS,
      tps: round(parseNumber(output, /tps = ([\d.]+) \(without initial connection time\)/, 'tps'), 1),
      latencyAvgMs: round(parseNumber(output, /latency average = ([\d.]+) ms/, 'latency average'), 3),
      command: ['pgbench', ...args].join(' '),
    };
    log(`pgbench: ${figures.tps} tps, latency average ${figures.latencyAvgMs} ms`);
    return figures;
  } finally {
    await dropDatabase(url);
  }
}

/** redis-benchmark's SET and GET, in a database Ebb does not use. */
async function measureRedis(log: Log): Promise<LimitFigures['redis']> {
  const { hostname, port } = new URL(TEST_REDIS_URL);
  const args = ['-h', hostname, '-p', port || '6379', '--dbnum', String(REDIS_BENCH_DB), '-t', 'set,get', '-n', String(REDIS_REQUESTS), '-c', String(REDIS_CLIENTS), '-q', '--csv'];
  log(`redis-benchmark: ${REDIS_REQUESTS} SET then GET from ${REDIS_CLIENTS} clients`);
  let output: string;
  try {
    output = await run('redis-benchmark', args);
  } finally {
    const redis = new Redis(TEST_REDIS_URL, { db: REDIS_BENCH_DB, lazyConnect: true });
    await redis.connect().then(() => redis.del(REDIS_BENCH_KEY)).finally(() => redis.disconnect());
  }
  // --csv: "test","rps","avg_latency_ms",… then one row per test, e.g. "SET","98039.22",…
  const rps = (test: string) => round(parseNumber(output, new RegExp(`^"${test}","([\\d.]+)"`, 'm'), `${test} requests/s`));
  const figures = { requests: REDIS_REQUESTS, clients: REDIS_CLIENTS, setPerSec: rps('SET'), getPerSec: rps('GET'), command: ['redis-benchmark', ...args].join(' ') };
  log(`redis-benchmark: SET ${figures.setPerSec}/s, GET ${figures.getPerSec}/s`);
  return figures;
}

/** About 300 bytes of JSON shaped like a domain event; `sentAt` (ms, this process's clock) gives the latency. */
function eventBody(sequence: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      messageId: randomUUID(),
      type: 'refund.approved',
      occurredAt: new Date().toISOString(),
      correlationId: randomUUID(),
      payload: { refundId: `ref_${sequence}`, orderId: `ord_${sequence}`, amount: { minor: 12_345, currency: 'EUR' }, reason: 'damaged_on_arrival' },
      sentAt: performance.now(),
    }),
  );
}

/**
 * Confirmed, persistent publishes into a fresh durable quorum queue, consumed and acked on a separate
 * connection; counts what is consumed in the window, publish → consume latency from a stamp in the body.
 * Each publisher has its own connection and keeps at most `window` messages unconfirmed, and all of
 * them together at most `backlog` published but not yet consumed, so the figure is the rate the whole
 * path sustains rather than how fast a queue can be filled (tuning: see AMQP_PUBLISHERS).
 */
async function measureRabbitmq(
  durationS: number,
  log: Log,
  { publishers = AMQP_PUBLISHERS, window = AMQP_WINDOW, backlog = AMQP_BACKLOG } = {},
): Promise<LimitFigures['rabbitmq']> {
  const queue = `ebb.bench.limits.${uniqueSuffix()}`;
  const connect = (name: string) => amqplib.connect(TEST_AMQP_URL, { noDelay: true, clientProperties: { connection_name: name } });
  const connections: ChannelModel[] = [];
  try {
    const consumerConnection = await connect(`${queue}-consumer`);
    connections.push(consumerConnection);
    const consumerChannel = await consumerConnection.createChannel();
    await consumerChannel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await consumerChannel.prefetch(AMQP_PREFETCH);

    let windowStart = Infinity;
    let windowEnd = Infinity;
    const latencies: number[] = [];
    let consumed = 0;
    let unacked = 0;
    let last: ConsumeMessage | undefined;
    // publishers waiting for a confirm or a consumed message to free room in their window
    let waiting: (() => void)[] = [];
    const wakePublishers = () => {
      const woken = waiting;
      waiting = [];
      for (const wake of woken) wake();
    };
    const flushAcks = () => {
      if (last && unacked > 0) consumerChannel.ack(last, true);
      unacked = 0;
    };
    const { consumerTag } = await consumerChannel.consume(queue, (message) => {
      if (!message) return;
      const now = performance.now();
      if (now >= windowStart && now < windowEnd) latencies.push(now - (JSON.parse(message.content.toString()) as { sentAt: number }).sentAt);
      last = message;
      consumed++;
      if (waiting.length) wakePublishers();
      // acks go in batches (multiple = true): every AMQP_ACK_EVERY messages, or when the burst is over
      if (++unacked === 1) setImmediate(flushAcks);
      else if (unacked >= AMQP_ACK_EVERY) flushAcks();
    });

    let publishing = true;
    let sequence = 0;
    const messageBytes = eventBody(0).length;
    const publisherRuns = await Promise.all(
      Array.from({ length: publishers }, async (_, index) => {
        const connection = await connect(`${queue}-publisher-${index}`);
        connections.push(connection);
        const channel = await connection.createConfirmChannel();
        return async () => {
          let inFlight = 0;
          let failure: Error | undefined;
          // a closed channel never confirms nor drains: stop waiting on it
          channel.on('close', () => {
            failure ??= new Error(`publisher ${index}: channel closed`);
            wakePublishers();
            channel.emit('drain');
          });
          const confirmed = (error: unknown) => {
            if (error) failure ??= error instanceof Error ? error : new Error(String(error));
            inFlight--;
            wakePublishers();
          };
          const room = () => inFlight < window && sequence - consumed < backlog;
          while (publishing && !failure) {
            if (!room()) {
              await new Promise<void>((resolve) => waiting.push(resolve));
              continue;
            }
            corkBurst(channel);
            let writable = true;
            while (room() && writable) {
              inFlight++;
              writable = channel.sendToQueue(queue, eventBody(sequence++), { persistent: true, contentType: 'application/json' }, confirmed);
            }
            if (!writable) await new Promise((resolve) => channel.once('drain', resolve));
          }
          await channel.waitForConfirms();
          if (failure) throw failure;
        };
      }),
    );

    log(`rabbitmq: ${publishers} publisher(s) (≤ ${window} unconfirmed each, ≤ ${backlog} unconsumed) → quorum queue → consumer, ${durationS} s`);
    const started = performance.now();
    let cpuAtStart = process.cpuUsage();
    setTimeout(() => (cpuAtStart = process.cpuUsage()), AMQP_WARMUP_MS);
    windowStart = started + AMQP_WARMUP_MS;
    windowEnd = windowStart + durationS * 1000;
    const stopped = Promise.all(publisherRuns.map((publish) => publish()));
    await sleep(windowEnd - started);
    publishing = false;
    const cpu = process.cpuUsage(cpuAtStart);
    // near 100 %, this process (not the broker) was the limit
    const clientCpu = Math.round((cpu.user + cpu.system) / 1000 / (durationS * 10));
    await stopped;
    await consumerChannel.cancel(consumerTag);
    flushAcks();

    const latency = percentiles(latencies);
    const figures = {
      durationS,
      publishers,
      queueType: 'quorum' as const,
      persistent: true as const,
      confirms: true as const,
      messagesPerSec: round(latency.count / durationS),
      p50Ms: round(latency.p50, 1),
      p99Ms: round(latency.p99, 1),
      messageBytes,
    };
    log(`rabbitmq: ${figures.messagesPerSec} messages/s end to end, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms (${sequence} published; this process used ${clientCpu} % of a core)`);
    return figures;
  } finally {
    const cleanup = connections[0] && (await connections[0].createChannel().catch(() => undefined));
    await cleanup?.deleteQueue(queue).catch(() => undefined);
    for (const connection of connections) await connection.close().catch(() => undefined);
  }
}

/** Measures each server in turn (never two at once, so each has the machine to itself). */
export async function measureLimits(options: { durationS: number; log: (line: string) => void }): Promise<LimitFigures> {
  const pgbench = await measurePostgres(options.durationS, options.log);
  const redis = await measureRedis(options.log);
  const rabbitmq = await measureRabbitmq(options.durationS, options.log);
  return { pgbench, redis, rabbitmq };
}

if (require.main === module) {
  const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, publishers: { type: 'string' }, window: { type: 'string' }, backlog: { type: 'string' } } });
  const durationS = Number(values.duration);
  const log = (line: string) => console.error(line);
  const figures =
    values.publishers || values.window || values.backlog
      ? measureRabbitmq(durationS, log, {
          publishers: Number(values.publishers ?? AMQP_PUBLISHERS),
          window: Number(values.window ?? AMQP_WINDOW),
          backlog: Number(values.backlog ?? AMQP_BACKLOG),
        }).then((rabbitmq) => ({ rabbitmq }))
      : measureLimits({ durationS, log });
  figures.then(
    (result) => {
      console.log(JSON.stringify(result, null, 2));
      process.exit(0);
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
