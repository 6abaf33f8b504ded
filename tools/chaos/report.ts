// The chaos run's record (written as JSON with --json) and its report in markdown (stdout, --out).
import type { LedgerCounts, LedgerReport } from '@ebb/api-client';
import type { UnexpectedExit } from './app-supervisor';
import type { AlertEpisode, Attribution, Expectation, OutageMetrics } from './alerts';
import type { InjectedFault } from './fault-runner';
import type { DriverStats } from './flow-driver';
import { FAULT_KINDS, type FaultKind, type Schedule } from './schedule';
import type { DeadLetterTally } from './settle';
import type { ClientStats } from './shop-client';
import type { FlowKind } from './workload';

export interface ChaosRecord {
  command: string;
  startedAt: string;
  /** second 0 of the schedule: every time in the report counts from here */
  runStartedAt: string;
  finishedAt: string;
  /** the whole command, start to clean-up */
  durationS: number;
  /** the refund-driving part */
  runS: number;
  options: { minutes: number; rate: number; seed: number; redisRestart: boolean; brokerDrops: boolean; strictAlerts: boolean };
  schedule: Schedule;
  seeding: { orders: number; failures: string[]; seconds: number };
  refunds: {
    driver: DriverStats;
    byFlow: Partial<Record<FlowKind, number>>;
    /** accepted refunds by the status they ended in (or were left in) */
    byStatus: Record<string, number>;
    /** accepted refunds that ended `failed`: final for the client, waiting for an operator */
    failed: string[];
  };
  client: ClientStats;
  faults: InjectedFault[];
  unexpectedExits: Omit<UnexpectedExit, 'output'>[];
  deadLetters: DeadLetterTally;
  ledger: LedgerReport & LedgerCounts;
  /** TestPlatform's suffix: in its databases', queues' and connections' names */
  platform: { suffix: string };
  alerts: {
    prometheus: string;
    /** its config and data, deleted at the end */
    dir: string;
    episodes: (AlertEpisode & { firedIn?: Attribution })[];
    outageMetrics: OutageMetrics;
    failedReads: number;
  };
  expectations: Expectation[];
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const list = (counts: Record<string, number>) =>
  Object.keys(counts).length === 0
    ? 'none'
    : Object.entries(counts)
        .sort(([, a], [, b]) => b - a)
        .map(([key, count]) => `${key} ${count}`)
        .join(', ');

/** How many times each kind was injected (and failed to be); a kind an option left out says so. */
export function faultCounts(record: Pick<ChaosRecord, 'faults' | 'schedule'>): { kind: FaultKind; planned: number; injected: number; failed: number; skipped: boolean }[] {
  return FAULT_KINDS.map((kind) => ({
    kind,
    planned: record.schedule.events.filter((e) => e.kind === kind).length,
    injected: record.faults.filter((f) => f.kind === kind && f.ok).length,
    failed: record.faults.filter((f) => f.kind === kind && !f.ok).length,
    skipped: record.schedule.skipped.includes(kind),
  }));
}

export function renderReport(record: ChaosRecord): string {
  const { driver } = record.refunds;
  const { ledger } = record;
  const lines: string[] = [];
  lines.push('# Chaos run', '');
  lines.push(`\`${record.command}\` — ${record.startedAt} → ${record.finishedAt} (${(record.durationS / 60).toFixed(1)} min in all, ${(record.runS / 60).toFixed(1)} min of refunds), seed ${record.options.seed}`, '');
  lines.push(`**Ledger check: ${ledger.ok ? 'exact' : 'FAILED'}** — lost ${ledger.lost}, doubled ${ledger.doubled}; ${ledger.orders} orders, ${ledger.providerRefunds} provider refunds, EUR ${(ledger.refundedTotal / 100).toFixed(2)} refunded; refund-service, order-service, payment-service and the provider ${ledger.ok ? 'agree on every order' : 'do NOT agree: see the problems below'}.`);
  for (const problem of ledger.problems.slice(0, 30)) lines.push(`- ${problem}`);
  if (ledger.problems.length > 30) lines.push(`- … and ${ledger.problems.length - 30} more (see --json)`);
  lines.push('');

  lines.push('## Expectations', '');
  for (const e of record.expectations) lines.push(`- ${e.held ? 'HELD' : 'DID NOT HOLD'}: ${e.name} — ${e.detail}`);
  lines.push('');

  lines.push('## Stretches', '');
  lines.push('| stretch | from (s) | to (s) |', '|---|---:|---:|');
  for (const s of record.schedule.stretches) lines.push(`| ${s.kind} | ${s.fromS} | ${s.toS} |`);
  lines.push('');

  lines.push('## Refunds', '');
  lines.push(`- requested (slots at ${record.options.rate}/s): ${driver.requested}; accepted ${driver.accepted}; not accepted ${driver.notAccepted}; without an order (seeding failed) ${driver.skipped}`);
  for (const r of driver.refused.slice(0, 10)) lines.push(`  - not accepted: ${r.kind} request ${r.step + 1} on ${r.orderId} → ${r.status || 'no answer'} ${r.error?.code ?? ''} ${r.error?.message ?? ''}${r.error?.details ? ` ${JSON.stringify(r.error.details)}` : ''}`.trimEnd());
  lines.push(`- by flow: ${list(record.refunds.byFlow as Record<string, number>)} (no flow that asks the carrier starts from 15 s before a provider-errors or outage window to its end: the sandbox's errorRate fails its carrier too, and a carrier that fails through every retry parks the interception)`);
  lines.push(`- accepted, by final status: ${list(record.refunds.byStatus)}`);
  lines.push(`- failed (final for the customer, waiting for an operator): ${record.refunds.failed.length}${record.refunds.failed.length ? ` — ${record.refunds.failed.slice(0, 10).join(', ')}` : ''}`);
  lines.push(`- unknown to the client (taken by refund-service, its answer never reached the shop): ${ledger.unknownToClient}`);
  lines.push(`- returns received by support ${driver.returnsReceived}, inspections passed ${driver.inspectionsPassed}; returns not reaching awaiting_return: ${list(driver.returnsNotAwaited)}`);
  lines.push(`- seeding: ${record.seeding.orders} paid orders in ${record.seeding.seconds.toFixed(0)} s, ${record.seeding.failures.length} failed; the open loop ran at worst ${driver.maxLateMs} ms late`);
  lines.push('');

  lines.push('## Client', '');
  lines.push(`- ${record.client.calls} calls, ${record.client.attempts} attempts, ${sum(record.client.retries)} retries: ${list(record.client.retries)}`);
  lines.push(`- gave up (4xx): ${list(record.client.refusals)}`);
  lines.push(`- 5xx answers: ${list(record.client.serverErrors)}`);
  lines.push(`- abandoned when their time ran out: ${list(record.client.abandoned)}`);
  const long = [...record.client.long].sort((a, b) => b.seconds - a.seconds).slice(0, 10);
  if (long.length > 0) lines.push(`- the longest calls (of ${record.client.long.length} over 20 s):`);
  for (const call of long) lines.push(`  - ${call.route}: ${call.seconds.toFixed(0)} s, ${call.attempts} attempts (${call.reasons}) → ${call.outcome}`);
  lines.push('');

  lines.push('## Faults', '');
  lines.push('| fault | planned | injected | failed |', '|---|---:|---:|---:|');
  for (const f of faultCounts(record)) lines.push(`| ${f.kind} | ${f.skipped ? 'skipped (option)' : f.planned} | ${f.injected} | ${f.failed} |`);
  lines.push('');
  for (const f of [...record.faults].sort((a, b) => a.startedAtS - b.startedAtS)) lines.push(`- ${f.startedAtS.toFixed(0)} s (planned ${f.plannedAtS.toFixed(0)} s) ${f.kind}: ${f.ok ? '' : 'FAILED '}${f.detail ?? ''}`);
  lines.push('');
  lines.push(`- services that exited by themselves: ${record.unexpectedExits.length === 0 ? 'none' : record.unexpectedExits.map((e) => `${e.app} at ${e.at} (code ${e.code}, signal ${e.signal})`).join(', ')}`);
  lines.push(`- parked messages (dead letters) found by the operator step: ${list(record.deadLetters.parked)}; replayed ${record.deadLetters.replayed}`);
  for (const [key, error] of Object.entries(record.deadLetters.errors)) lines.push(`  - ${key}: ${error}`);
  lines.push('');

  lines.push('## Alerts', '');
  lines.push(`Prometheus ${record.alerts.prometheus}, rules deploy/monitoring/alerts.rules.yml unchanged; ${record.alerts.failedReads} failed readings.`, '');
  if (record.alerts.episodes.length === 0) lines.push('No alert was pending or firing at any time.');
  else {
    lines.push('| alert | labels | pending at (s) | fired at (s) | resolved at (s) | fired in |', '|---|---|---:|---:|---:|---|');
    const start = Date.parse(record.runStartedAt);
    const rel = (ms?: number) => (ms === undefined ? '—' : String(Math.round((ms - start) / 1000)));
    for (const e of record.alerts.episodes) {
      const labels = Object.entries(e.labels)
        .filter(([label]) => !['alertname', 'alertstate', 'severity'].includes(label))
        .map(([label, value]) => `${label}=${value}`)
        .join(' ');
      lines.push(`| ${e.name} | ${labels} | ${rel(e.pendingAt)} | ${rel(e.firedAt)} | ${rel(e.resolvedAt)} | ${e.firedIn ?? 'never fired'} |`);
    }
  }
  const m = record.alerts.outageMetrics;
  lines.push('', `Over the outage: ${m.failedRefunds ?? '?'} refunds failed of ${m.endedRefunds ?? '?'} that reached an outcome, payment-service counted ${m.providerErrors ?? '?'} failed provider calls; the rule's ratio at its end ${m.failureRatio === undefined ? 'had no value' : `${(m.failureRatio * 100).toFixed(2)}%`}.`);
  if (m.runOutcomes !== undefined) lines.push(`Over the whole run Prometheus counted about ${m.runOutcomes} refund outcomes (increase of refunds_total, so scraping worked); the client saw ${Object.values(record.refunds.byStatus).reduce((a, b) => a + b, 0)} accepted refunds end.`);
  return `${lines.join('\n')}\n`;
}
