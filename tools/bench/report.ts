// Writes the run into docs/performance.md (between the markers, so the hand-written analysis around
// them stays) and the raw figures into a JSON file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import type { LimitFigures } from './limits';
import type { LedgerReport } from './ledger';
import type { HotResult, Percentiles, SpreadLevel, SteadyResult } from './scenarios';

export interface RunRecord {
  date: string;
  command: string;
  machine: Record<string, string | number>;
  options: Record<string, unknown>;
  costPerRefund: { transactions: number; messages: number; note: string; measured?: { commitsPerRefund: number; writeTransactionsPerRefund?: number; messagesPerRefund: number; cpuMsPerRefund: Record<string, number> } };
  spread?: SpreadLevel[];
  hot?: HotResult;
  steady?: SteadyResult;
  limits?: LimitFigures & { boundRefundsPerSec: { postgres: number; rabbitmq: number }; ebbFraction?: number };
  ledger: LedgerReport;
  maxRssMb: Partial<Record<string, number>>;
  durationS: number;
}

const BEGIN = '<!-- bench:begin (written by npm run bench; edit outside these markers) -->';
const END = '<!-- bench:end -->';

const n = (value: number | undefined, digits = 0) => (value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits));
const pct = (p: Percentiles) => `${n(p.p50)} / ${n(p.p95)} / ${n(p.p99)}`;
const perService = (values: Partial<Record<string, number>>, digits = 0) =>
  Object.entries(values)
    .map(([service, value]) => `${service} ${n(value, digits)}`)
    .join(', ') || '–';

export function renderRun(run: RunRecord): string {
  const lines: string[] = [];
  lines.push(`Run of ${run.date}, ${n(run.durationS)} s in all: \`${run.command}\``);
  lines.push('');
  lines.push(`Machine: ${Object.entries(run.machine).map(([k, v]) => `${k} ${v}`).join(' · ')}. Everything (six services, PostgreSQL, Redis, RabbitMQ, the sandbox and the load generator) on it.`);
  lines.push('');
  lines.push(`**Ledger check: ${run.ledger.ok ? 'exact' : 'FAILED'}** — ${run.ledger.refunds} refunds accepted on ${run.ledger.orders} orders, final statuses ${JSON.stringify(run.ledger.byStatus)}, ${run.ledger.providerRefunds} provider refunds, EUR ${(run.ledger.refundedTotal / 100).toFixed(2)} refunded; refund-service, order-service, payment-service and the sandbox agree on every order${run.ledger.ok ? '' : ' — NOT: see problems below; the figures of this run do not count'}.`);
  for (const problem of run.ledger.problems.slice(0, 20)) lines.push(`- ${problem}`);
  lines.push('');
  if (run.spread) {
    lines.push('### spread — many orders, one full refund each (refunds in flight = concurrency)');
    lines.push('');
    lines.push('| concurrency | seconds | accepted/s | succeeded/s | request p50 / p95 / p99 ms | request → succeeded p50 / p95 / p99 ms | refused | max RSS MB |');
    lines.push('|---|---|---|---|---|---|---|---|');
    for (const level of run.spread) {
      lines.push(
        `| ${level.concurrency} | ${n(level.seconds)}${level.ranOutOfOrders ? ' (orders ran out)' : ''} | ${n(level.acceptedPerSec, 1)} | ${n(level.completedPerSec, 1)} | ${pct(level.requestMs)} | ${pct(level.toSucceededMs)} | ${JSON.stringify(level.refused)} | ${perService(level.maxRssMb)} |`,
      );
    }
    lines.push('');
  }
  if (run.hot) {
    const hot = run.hot;
    lines.push('### hot — one order, many small partial refunds at once');
    lines.push('');
    lines.push('| concurrency | seconds | accepted/s on one order | request p50 / p95 / p99 ms | lock wait p50 / p99 ms | lock timeouts | refused | accepted of captured |');
    lines.push('|---|---|---|---|---|---|---|---|');
    lines.push(
      `| ${hot.concurrency} | ${n(hot.seconds)} | ${n(hot.acceptedPerSec, 1)} | ${pct(hot.requestMs)} | ${n(hot.lockWaitP50Ms, 1)} / ${n(hot.lockWaitP99Ms, 1)} | ${hot.lockTimeouts} | ${JSON.stringify(hot.refused)} | ${hot.acceptedAmount} of ${hot.capturedAmount} |`,
    );
    lines.push('');
  }
  if (run.steady) {
    const s = run.steady;
    lines.push(`### steady — ${s.rate} refunds/s for ${n(s.seconds)} s (open loop)`);
    lines.push('');
    lines.push('| sent | accepted | request p50 / p95 / p99 ms | request → succeeded p50 / p95 / p99 ms | late sends p99 ms | refused |');
    lines.push('|---|---|---|---|---|---|');
    lines.push(`| ${s.sent} | ${s.accepted} | ${pct(s.requestMs)} | ${pct(s.toSucceededMs)} | ${n(s.lateSendsMs.p99, 1)} | ${JSON.stringify(s.refused)} |`);
    lines.push('');
    lines.push(`Seen at /metrics once a second during the run: outbox lag max (s) ${perService(s.maxOutboxLagS, 2)}; outbox rows pending max ${perService(s.maxOutboxPending)}; queue depth max ${perService(s.maxQueueDepth)}.`);
    lines.push(`Memory: RSS max (MB) ${perService(s.maxRssMb)}; RSS slope over the second half (MB/min) ${perService(s.rssGrowthMbPerMin, 1)}.`);
    lines.push('');
  }
  lines.push(`Largest RSS of each service over the whole run (MB): ${perService(run.maxRssMb)}.`);
  lines.push('');
  if (run.limits) {
    const l = run.limits;
    lines.push('### The servers alone on this machine (`--limits`, same run)');
    lines.push('');
    lines.push('| server | workload | figure |');
    lines.push('|---|---|---|');
    lines.push(`| PostgreSQL | \`${l.pgbench.command}\` | ${n(l.pgbench.tps)} tx/s, latency avg ${n(l.pgbench.latencyAvgMs, 2)} ms |`);
    lines.push(`| Redis | \`${l.redis.command}\` | SET ${n(l.redis.setPerSec)}/s, GET ${n(l.redis.getPerSec)}/s |`);
    lines.push(`| RabbitMQ | quorum queue, persistent, publisher confirms, ${l.rabbitmq.publishers} publisher(s), ${l.rabbitmq.messageBytes} B messages, ${n(l.rabbitmq.durationS)} s | ${n(l.rabbitmq.messagesPerSec)} msg/s published and consumed, latency p50 ${n(l.rabbitmq.p50Ms, 1)} / p99 ${n(l.rabbitmq.p99Ms, 1)} ms |`);
    lines.push('');
    lines.push(
      `A refund costs about ${run.costPerRefund.transactions} database transactions and ${run.costPerRefund.messages} persistent messages (${run.costPerRefund.note}). The servers alone therefore bound Ebb at about ${n(l.boundRefundsPerSec.postgres)} refunds/s (PostgreSQL) and ${n(l.boundRefundsPerSec.rabbitmq)} refunds/s (RabbitMQ)${l.ebbFraction === undefined ? '' : `; Ebb's best spread figure is **${n(l.ebbFraction * 100, 0)}%** of the lower bound`}.`,
    );
    lines.push('');
  }
  const measured = run.costPerRefund.measured;
  if (measured) {
    lines.push(`Measured during steady (pg_stat_database and messages_published_total, refunds only): ${n(measured.commitsPerRefund, 1)} PostgreSQL commits per refund (read-only ones included), ${measured.writeTransactionsPerRefund === undefined ? 'write transactions not counted' : `${n(measured.writeTransactionsPerRefund, 1)} write transactions per refund (transaction ids assigned)`} and ${n(measured.messagesPerRefund, 1)} messages published per refund.`);
    const cpu = Object.entries(measured.cpuMsPerRefund).sort((a, b) => b[1] - a[1]);
    const total = cpu.reduce((sum, [, ms]) => sum + ms, 0);
    lines.push('');
    lines.push(`CPU per refund during steady (process_cpu_seconds_total of each service, /proc for the servers): **${n(total, 1)} ms in all**, so ${os.cpus().length} cores bound the whole platform at about ${n((os.cpus().length * 1000) / total)} refunds/s — ${cpu.map(([name, ms]) => `${name} ${n(ms, 1)}`).join(', ')} ms.`);
    lines.push('');
  }
  return lines.join('\n');
}

/** Replaces the generated part of the report, keeping the analysis around it. */
export function writeReport(path: string, run: RunRecord, jsonPath: string): void {
  const body = `${BEGIN}\n\n${renderRun(run)}\nRaw figures: \`${jsonPath}\`.\n\n${END}`;
  const current = existsSync(path) ? readFileSync(path, 'utf8') : `# Performance\n\n## Latest run\n\n${BEGIN}\n${END}\n`;
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const next = start >= 0 && end > start ? current.slice(0, start) + body + current.slice(end + END.length) : `${current}\n${body}\n`;
  writeFileSync(path, next);
  writeFileSync(jsonPath, `${JSON.stringify(run, null, 2)}\n`);
}
