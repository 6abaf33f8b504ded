// `npm run bench` — how many refunds per second Ebb takes without losing or doubling one, and how long
// a customer waits; with `--limits`, beside what this machine's servers alone can do.
//
//   npm run bench                                  all three scenarios, 60 s each level
//   npm run bench -- --scenario steady --rate 100 --duration 60
//   npm run bench -- --scenario spread --concurrency 16,64,128 --duration 60
//   npm run bench -- --scenario hot --hot-concurrency 32 --hot-duration 20
//   npm run bench -- --limits                      also pgbench, redis-benchmark, RabbitMQ alone
//
// The platform is brought up with `npm start` if it is not running (and stopped again at the end).
// Orders are seeded and paid through the public API. Every run ends with the ledger check; a run
// whose ledger does not add up exits 1 and its figures are marked as not counting.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { SERVICES } from '@ebb/api-client';
import { createCatalog } from './client';
import { checkLedger } from './ledger';
import { type LimitFigures, measureLimits } from './limits';
import { ensureAutovacuum, vacuumEbb } from './postgres';
import { RefundFeed, Sampler, cpuSeconds, ensurePlatform, metricSum, scrape } from './platform';
import { writeReport, type RunRecord } from './report';
import { type Context, type SpreadLevel, hot, maxRss, spread, steady } from './scenarios';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'spread,hot,steady' },
    duration: { type: 'string', default: '60' },
    rate: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '16,64,128' },
    'hot-concurrency': { type: 'string', default: '32' },
    'hot-duration': { type: 'string', default: '20' },
    'hot-amount': { type: 'string', default: '100' },
    limits: { type: 'boolean', default: false },
    'limits-duration': { type: 'string', default: '20' },
    out: { type: 'string', default: 'docs/performance.md' },
    json: { type: 'string', default: 'docs/performance.json' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(
    'npm run bench -- [--scenario spread,hot,steady] [--duration 60] [--rate 100] [--concurrency 16,64,128]\n' +
      '                 [--hot-concurrency 32] [--hot-duration 20] [--hot-amount 100] [--limits] [--limits-duration 20]\n' +
      '                 [--out docs/performance.md] [--json docs/performance.json]',
  );
  process.exit(0);
}

const positive = (name: string, raw: string) => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`--${name} must be a positive number, not ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
};
const scenarios = values.scenario.split(',').map((s) => s.trim());
for (const s of scenarios) {
  if (!['spread', 'hot', 'steady'].includes(s)) {
    console.error(`--scenario takes spread, hot and steady, not ${JSON.stringify(s)}`);
    process.exit(2);
  }
}
const duration = positive('duration', values.duration);
const rate = positive('rate', values.rate);
const levels = values.concurrency.split(',').map((c) => Math.round(positive('concurrency', c)));
const hotConcurrency = Math.round(positive('hot-concurrency', values['hot-concurrency']));
const hotDuration = positive('hot-duration', values['hot-duration']);
const hotAmount = Math.round(positive('hot-amount', values['hot-amount']));

/**
 * What one unshipped, auto-approved refund costs, counted from the code (see docs/performance.md):
 * commits that write, and persistent messages published (each consumed by every subscriber queue).
 */
const COST_PER_REFUND = {
  transactions: 13,
  messages: 3,
  note:
    'write transactions of a refund before shipping, approved at once, from the code and pg_stat_statements, before any batching: ' +
    'refund-service 3 (request, its Idempotency-Key claimed in the same transaction; the goods held; payment result), payment-service 3 (refund.refunding, provider answer, webhook), ' +
    'notification-service 4 (two mails queued, two sent), order-service 2 (hold the goods, refund.succeeded), inventory-service 1; consumers batch ' +
    'deliveries and calls that end together share a transaction, so under load fewer; ' +
    'messages: refund.refunding (requested, approved and refunding in one), payment.refund_succeeded, refund.succeeded',
};

const tty = process.stdout.isTTY;
let lastProgress = 0;
function progress(line: string, final = false) {
  if (tty) {
    process.stdout.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
  } else if (final || Date.now() - lastProgress > 5000) {
    lastProgress = Date.now();
    console.log(line);
  }
}
const log = (line: string) => progress(line, true);

type Counters = { commits: number; writeTransactions: number; messages: number; cpu: Record<string, number> };

/**
 * The run's cost counters: commits of every Ebb database, transaction ids assigned (PostgreSQL gives one
 * only to a transaction that writes, so their difference counts write transactions; Ebb uses no
 * savepoints), and messages published by every service.
 */
async function costCounters(pg: Client): Promise<Counters> {
  const scraped = await Promise.all(SERVICES.map((service) => scrape(service)));
  const cpu = cpuSeconds(scraped);
  const own = process.cpuUsage();
  cpu['load generator (bench)'] = (own.user + own.system) / 1e6;
  const [row] = (await pg.query(`SELECT sum(xact_commit)::bigint AS commits FROM pg_stat_database WHERE datname LIKE 'ebb\\_%' AND datname NOT LIKE 'ebb\\_test%'`)).rows;
  const [xid] = (await pg.query(`SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS next`)).rows;
  return { commits: Number(row.commits), writeTransactions: Number(xid.next), messages: scraped.reduce((sum, metrics) => sum + metricSum(metrics, 'messages_published_total'), 0), cpu };
}

async function machine(pg: Client): Promise<Record<string, string | number>> {
  const pgVersion = (await pg.query('SHOW server_version')).rows[0].server_version;
  return {
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: pgVersion,
  };
}

/** What a run must undo however it ends (a failure, Ctrl-C): the platform it started, the setting it changed. */
const undo: (() => Promise<void>)[] = [];
async function cleanUp(): Promise<void> {
  while (undo.length > 0) await undo.pop()!().catch((error) => console.error(`clean-up failed: ${error}`));
}
process.once('SIGINT', () => {
  console.error('\ninterrupted: stopping what this run started');
  void cleanUp().finally(() => process.exit(130));
});

async function main() {
  const started = Date.now();
  const since = new Date();
  mkdirSync('tmp', { recursive: true });
  const platform = await ensurePlatform(log, 'tmp/bench-platform.log');
  undo.push(() => platform.stop());
  const pgBase = process.env.BENCH_PG_BASE ?? 'postgres://postgres@127.0.0.1:5432';
  const pg = new Client({ connectionString: `${pgBase}/postgres` });
  await pg.connect();
  undo.push(() => pg.end());
  undo.push(await ensureAutovacuum(pg, log));
  await vacuumEbb(pg, pgBase, log);
  const feed = new RefundFeed(since);
  const sampler = new Sampler();
  const run = randomUUID().slice(0, 8);
  const ctx: Context = {
    run,
    catalog: await createCatalog(run, 16, 10_000_000),
    feed,
    sampler,
    accepted: [],
    orders: [],
    progress,
    log,
    lastSeedSeconds: 1,
  };
  feed.start();
  sampler.start();
  const record: Partial<RunRecord> = {
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: await machine(pg),
    options: { scenarios, duration, rate, levels, hotConcurrency, hotDuration, hotAmount, limits: values.limits },
    costPerRefund: COST_PER_REFUND,
  };
  let measured: Counters | undefined;
  try {
    if (scenarios.includes('spread')) {
      // enough orders for a level at 4.5 refunds/s per slot (a refund takes over 200 ms), but no more than
      // 3× the pace the machine took orders at (first level) or 2.5× what the previous level refunded,
      // so a saturated machine is not seeded for nothing; a level that runs out ends early and says so
      const need = (concurrency: number, previous: SpreadLevel | undefined, seedRate: number) =>
        Math.ceil(Math.min(concurrency * 4.5, previous ? Math.max(previous.completedPerSec * 2.5, 20) : seedRate * 3) * duration);
      record.spread = await spread(ctx, levels, duration, need);
    }
    if (scenarios.includes('hot')) record.hot = await hot(ctx, hotConcurrency, hotDuration, hotAmount);
    if (scenarios.includes('steady')) {
      // steady's window holds refunds only (its orders are seeded before): it measures what a refund costs
      let before: Counters = { commits: 0, writeTransactions: 0, messages: 0, cpu: {} };
      record.steady = await steady(ctx, rate, duration, async (phase) => {
        if (phase === 'before') before = await costCounters(pg);
        else {
          const after = await costCounters(pg);
          const cpu = Object.fromEntries(Object.entries(after.cpu).map(([name, seconds]) => [name, seconds - (before.cpu[name] ?? 0)]));
          measured = {
            commits: after.commits - before.commits,
            writeTransactions: after.writeTransactions - before.writeTransactions,
            messages: after.messages - before.messages,
            cpu,
          };
        }
      });
    }
  } finally {
    sampler.stop();
  }
  log('ledger: checking every refund of the run');
  const ledger = await checkLedger(ctx.accepted, ctx.orders, feed, since, progress);
  await feed.stop();
  record.ledger = ledger;
  record.maxRssMb = maxRss(sampler.samples);
  if (measured && record.steady) {
    const refunds = Math.max(record.steady.accepted, 1);
    const cpuMsPerRefund = Object.fromEntries(Object.entries(measured.cpu).map(([name, seconds]) => [name, (seconds * 1000) / refunds]));
    record.costPerRefund = {
      ...COST_PER_REFUND,
      measured: {
        commitsPerRefund: measured.commits / refunds,
        writeTransactionsPerRefund: measured.writeTransactions / refunds,
        messagesPerRefund: measured.messages / refunds, cpuMsPerRefund },
    };
  }
  await platform.stop();
  if (values.limits) {
    log('limits: measuring the servers alone (the platform is idle or stopped)');
    const limits: LimitFigures = await measureLimits({ durationS: positive('limits-duration', values['limits-duration']), log });
    const bound = {
      postgres: limits.pgbench.tps / COST_PER_REFUND.transactions,
      rabbitmq: limits.rabbitmq.messagesPerSec / COST_PER_REFUND.messages,
    };
    const best = Math.max(0, ...(record.spread ?? []).map((level) => level.completedPerSec));
    record.limits = { ...limits, boundRefundsPerSec: bound, ebbFraction: best > 0 ? best / Math.min(bound.postgres, bound.rabbitmq) : undefined };
  }
  await cleanUp(); // autovacuum as it was, the connection closed (the platform is stopped already)
  record.durationS = (Date.now() - started) / 1000;
  writeReport(values.out, record as RunRecord, values.json);
  log(`wrote ${values.out} and ${values.json}`);
  if (!ledger.ok) {
    console.error(`LEDGER CHECK FAILED: ${ledger.problems.length} problems; the figures of this run do not count`);
    for (const problem of ledger.problems.slice(0, 20)) console.error(`  ${problem}`);
    process.exit(1);
  }
  log(`ledger exact: ${ledger.refunds} refunds on ${ledger.orders} orders, statuses ${JSON.stringify(ledger.byStatus)}`);
  process.exit(0);
}

main().catch(async (error) => {
  console.error(`\nbench failed: ${error.stack ?? error}`);
  await cleanUp();
  process.exit(1);
});
