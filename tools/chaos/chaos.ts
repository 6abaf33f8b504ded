// `npm run chaos -- --minutes M --rate R`: refunds at a steady rate through the public API while
// services are killed, the broker and Redis drop out and the provider slows, errs and goes down;
// then the ledger check (nothing lost, nothing paid twice) and the alerts Prometheus fired.
// `npm run chaos -- --help` lists the options; the schedule is in schedule.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApiClient, compareLedger, listProviderRefunds } from '@ebb/api-client';
import { freePort } from '@ebb/testing';
import { AlertWatch } from './alert-watch';
import { attribute, episodesOf, expectations, withFiringSeries } from './alerts';
import { AppSupervisor } from './app-supervisor';
import { APPS, scrapeTargets, startChaosPlatform, stopChaosPlatform } from './chaos-platform';
import { CleanUp } from './clean-up';
import { FaultRunner } from './fault-runner';
import { FINAL_STATUSES, FlowDriver } from './flow-driver';
import { type ChaosOptions, USAGE, parseOptions } from './options';
import { prometheusConfig, startPrometheus } from './prometheus';
import { ensureRedis } from './redis-restart';
import { type ChaosRecord, renderReport } from './report';
import { seededRandom } from './random';
import { CARRIER_FAILING, buildSchedule, stretchAt } from './schedule';
import { adminToken, createCatalog, seedOrders } from './seed-orders';
import { type DeadLetterTally, replayDeadLetters, settleRefunds } from './settle';
import { ShopClient } from './shop-client';
import { planWorkload } from './workload';

/** Prometheus scrapes and evaluates this often (the rules' `for` and rate windows stay as written). */
const PROMETHEUS_INTERVAL_S = 2;
const SEED_CONCURRENCY = 8;
/** No flow that asks the carrier starts this long before a window whose errors fail the carrier too. */
const CARRIER_QUIET_BEFORE_S = 15;

const tty = process.stdout.isTTY;
let lastProgress = 0;
function progress(line: string, final = false): void {
  if (tty) process.stdout.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
  else if (final || Date.now() - lastProgress > 10_000) {
    lastProgress = Date.now();
    console.log(line);
  }
}
const log = (line: string) => progress(line, true);

async function run(options: ChaosOptions, cleanUp: CleanUp): Promise<number> {
  const startedAt = new Date();
  const command = `npm run chaos -- ${process.argv.slice(2).join(' ')}`.trim();
  const schedule = buildSchedule({ minutes: options.minutes, seed: options.seed, redisRestart: options.redisRestart, brokerDrops: options.brokerDrops });
  const carrierQuiet = schedule.events
    .filter((e) => (CARRIER_FAILING as readonly string[]).includes(e.kind))
    .map((e) => ({ fromS: e.atS - CARRIER_QUIET_BEFORE_S, toS: e.untilS! + 2 }));
  const workload = planWorkload({ rate: options.rate, durationS: schedule.durationS, random: seededRandom(options.seed + 1), carrierQuiet });
  log(`chaos: seed ${options.seed}, ${schedule.durationS} s at ${options.rate} refunds/s (${workload.slots.length} requests, ${workload.flows.length} orders), ${schedule.events.length} faults`);
  for (const s of schedule.stretches) log(`  ${s.kind.padEnd(6)} ${s.fromS}–${s.toS} s`);

  log('platform: starting all six apps (TestPlatform)');
  const platform = await startChaosPlatform();
  cleanUp.add('stopping the platform', () => stopChaosPlatform(platform));
  if (options.redisRestart) cleanUp.add('making sure Redis is up', () => ensureRedis());
  const supervisor = new AppSupervisor(platform, log);
  supervisor.watch(APPS);
  cleanUp.add('supervisor', async () => supervisor.stop());
  const api = new ApiClient((service) => platform.url(service));
  const shop = new ShopClient();

  const prometheus = await startPrometheus(prometheusConfig(scrapeTargets(platform), PROMETHEUS_INTERVAL_S), await freePort());
  cleanUp.add('stopping Prometheus', () => prometheus.stop());
  log(`prometheus: ${prometheus.url} (config and data in ${prometheus.dir})`);
  const watch = new AlertWatch(prometheus.url);
  watch.start();
  cleanUp.add('alert watch', () => watch.stop());

  const seedingStarted = Date.now();
  const catalog = await createCatalog(api, platform.suffix);
  const { orders, failures } = await seedOrders(api, catalog, workload.flows, SEED_CONCURRENCY, (done, failed) =>
    progress(`seeding: ${done}/${workload.flows.length} paid orders${failed ? `, ${failed} failed` : ''}`),
  );
  const seedingS = (Date.now() - seedingStarted) / 1000;
  log(`seeding: ${orders.size} paid orders in ${seedingS.toFixed(0)} s${failures.length ? ` (${failures.length} failed: ${failures[0]})` : ''}`);

  const t0 = Date.now() + 1000;
  const runStartedAt = new Date(t0);
  const runner = new FaultRunner({ api, supervisor, suffix: platform.suffix, t0, log });
  const driver = new FlowDriver(api, shop, workload, orders);
  cleanUp.add('fault runner', async () => runner.stop());
  const ticker = setInterval(() => {
    const s = (Date.now() - t0) / 1000;
    const firing = watch.firingNow;
    progress(
      `run ${s.toFixed(0)}/${schedule.durationS} s [${stretchAt(schedule.stretches, s)}] · accepted ${driver.stats.accepted}/${driver.stats.requested} · in flight ${driver.pending} · retries ${Object.values(shop.stats.retries).reduce((a, b) => a + b, 0)} · faults ${runner.injected.length}/${schedule.events.length} · firing ${firing.length ? firing.join(',') : 'none'}`,
    );
  }, 1000);
  cleanUp.add('ticker', async () => clearInterval(ticker));
  await Promise.all([runner.run(schedule), driver.run(t0)]);
  clearInterval(ticker);
  const runEnded = Date.now();
  log(`run: done after ${((runEnded - t0) / 1000).toFixed(0)} s; ${driver.stats.accepted} refunds accepted, ${runner.injected.length} faults injected`);

  // the end: no fault left anywhere, every app and Redis up, then the shop's last calls and the refunds settle
  await api.request('sandbox', 'DELETE', '/__sandbox/faults').catch(() => undefined);
  await supervisor.ensureAllRunning();
  if (options.redisRestart) await ensureRedis();
  const settleBy = Date.now() + options.settleMinutes * 60_000;
  shop.giveUpAt(settleBy);
  driver.giveUpAt(settleBy);
  const tally: DeadLetterTally = { parked: {}, replayed: 0, errors: {} };
  await settleRefunds(api, driver.accepted, settleBy, tally, progress, () => driver.pending);
  await driver.drain();
  // what was parked since the last look is counted too (and replayed, though no one waits for it now)
  await replayDeadLetters(api, tally);
  const settledAt = Date.now();
  log(`settled in ${((settledAt - runEnded) / 1000).toFixed(0)} s`);

  log('ledger: comparing refund-service, order-service, payment-service and the provider');
  const accepted = [...driver.accepted.values()];
  const ledger = await compareLedger(api, {
    accepted,
    orders: [...orders.values()],
    finalOf: (refundId) => {
      const refund = driver.accepted.get(refundId);
      return refund && FINAL_STATUSES.includes(refund.status) ? refund : undefined;
    },
    providerRefunds: await listProviderRefunds(api, startedAt),
    refundReader: adminToken,
    progress: log,
  });

  await watch.stop();
  let episodes = episodesOf(watch.samples);
  episodes = withFiringSeries(episodes, await watch.firingRuns(t0 - 60_000, Date.now(), PROMETHEUS_INTERVAL_S).catch(() => []));
  const outage = schedule.stretches.find((s) => s.kind === 'outage')!;
  const outageMetrics = await watch.outageMetrics(t0 + outage.fromS * 1000, t0 + outage.toS * 1000, t0).catch(() => ({}));
  const held = expectations(episodes, t0, schedule.stretches, outageMetrics);

  const byStatus: Record<string, number> = {};
  const byFlow: Record<string, number> = {};
  for (const refund of accepted) {
    byStatus[refund.status] = (byStatus[refund.status] ?? 0) + 1;
    byFlow[refund.kind] = (byFlow[refund.kind] ?? 0) + 1;
  }
  if (options.logs) keepLogs(options.logs, platform, supervisor);
  const finishedAt = new Date();
  const record: ChaosRecord = {
    command,
    startedAt: startedAt.toISOString(),
    runStartedAt: runStartedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationS: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    runS: (runEnded - t0) / 1000,
    options: { minutes: options.minutes, rate: options.rate, seed: options.seed, redisRestart: options.redisRestart, brokerDrops: options.brokerDrops, strictAlerts: options.strictAlerts },
    schedule,
    seeding: { orders: orders.size, failures, seconds: seedingS },
    refunds: { driver: driver.stats, byFlow, byStatus, failed: accepted.filter((r) => r.status === 'failed').map((r) => r.refundId) },
    client: shop.stats,
    faults: runner.injected,
    unexpectedExits: supervisor.unexpectedExits.map(({ output: _output, ...exit }) => exit),
    deadLetters: tally,
    ledger,
    platform: { suffix: platform.suffix },
    alerts: { prometheus: prometheus.url, dir: prometheus.dir, episodes: episodes.map((e) => ({ ...e, firedIn: attribute(e, t0, schedule.stretches) })), outageMetrics, failedReads: watch.failedReads },
    expectations: held,
  };
  const report = renderReport(record);
  console.log(`\n${report}`);
  if (options.out) writeFileSync(options.out, report);
  if (options.json) writeFileSync(options.json, `${JSON.stringify(record, null, 2)}\n`);

  if (!ledger.ok) {
    console.error(`LEDGER CHECK FAILED: ${ledger.problems.length} problems (lost ${ledger.lost}, doubled ${ledger.doubled}, unfinished ${ledger.unfinished})`);
    return 1;
  }
  const unmet = held.filter((e) => !e.held);
  if (unmet.length > 0) console.error(`alert expectations not met: ${unmet.map((e) => e.name).join('; ')}${options.strictAlerts ? '' : ' (exit 0 without --strict-alerts)'}`);
  return unmet.length > 0 && options.strictAlerts ? 2 : 0;
}

/** The services' last output, and that of every process killed or crashed, for the evidence. */
function keepLogs(dir: string, platform: Awaited<ReturnType<typeof startChaosPlatform>>, supervisor: AppSupervisor): void {
  mkdirSync(dir, { recursive: true });
  for (const app of APPS) writeFileSync(path.join(dir, `${app}.log`), platform.logs(app));
  supervisor.killedOutput.forEach(({ app, output }, i) => writeFileSync(path.join(dir, `${app}.killed-${i}.log`), output));
  supervisor.unexpectedExits.forEach(({ app, output }, i) => writeFileSync(path.join(dir, `${app}.exited-${i}.log`), output));
}

async function main(): Promise<void> {
  let options: ChaosOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options === 'help') {
    console.log(USAGE);
    return;
  }
  const cleanUp = new CleanUp();
  cleanUp.onSignals();
  let code = 1;
  try {
    code = await run(options, cleanUp);
  } catch (error) {
    console.error(`\nchaos run failed: ${(error as Error).stack ?? error}`);
  } finally {
    log('clean-up: stopping Prometheus and the platform');
    await cleanUp.run();
  }
  process.exit(code);
}

void main();
