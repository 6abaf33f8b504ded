// Brings the platform up when it is not running, follows refunds to their end through the change
// feed, and samples every service's /metrics while a scenario runs.
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readFileSync, readdirSync } from 'node:fs';
import { SERVICES, type Service, ok, serviceUrl } from '@ebb/api-client';
import { FINAL_STATUSES, type RefundView, sleep, typed } from './client';

async function ready(service: Service): Promise<boolean> {
  try {
    const response = await fetch(`${serviceUrl(service)}${service === 'sandbox' ? '/__sandbox/faults' : '/health/ready'}`, {
      signal: AbortSignal.timeout(2000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

const allReady = async () => (await Promise.all(SERVICES.map(ready))).every(Boolean);

/** The platform as `npm start` runs it; `stop` ends it only if this run started it. */
export interface Platform {
  startedHere: boolean;
  stop(): Promise<void>;
}

export async function ensurePlatform(log: (line: string) => void, logFile: string): Promise<Platform> {
  if (await allReady()) {
    log('platform: already running, using it');
    return { startedHere: false, stop: async () => undefined };
  }
  log(`platform: not running; starting it with npm start (log: ${logFile})`);
  const out = openSync(logFile, 'a');
  const child: ChildProcess = spawn('bash', ['tools/start/start.sh'], { stdio: ['ignore', out, out], detached: true });
  const deadline = Date.now() + 300_000;
  while (!(await allReady())) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}; see ${logFile}`);
    if (Date.now() > deadline) throw new Error(`the platform was not ready within 5 minutes; see ${logFile}`);
    await sleep(500);
  }
  log('platform: every service is ready');
  return {
    startedHere: true,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid!, 'SIGTERM');
      await Promise.race([exited, sleep(30_000)]);
    },
  };
}

/** When each refund reached its final status, learnt from `GET /v1/refunds?updatedAfter=` (one poller for all). */
export class RefundFeed {
  private readonly waiting = new Map<string, (refund: RefundView) => void>();
  private readonly finals = new Map<string, RefundView>();
  private cursor: string;
  private running = false;
  private loop?: Promise<void>;
  polls = 0;

  constructor(since: Date) {
    this.cursor = since.toISOString();
  }

  start(intervalMs = 100): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.poll().catch(() => undefined);
        await sleep(intervalMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Resolves with the refund once it is final. */
  final(id: string): Promise<RefundView> {
    const known = this.finals.get(id);
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  finalOf(id: string): RefundView | undefined {
    return this.finals.get(id);
  }

  get pending(): number {
    return this.waiting.size;
  }

  /** Reads a refund directly: the safety net for a change the feed's overlap window missed. */
  async refresh(id: string): Promise<void> {
    this.accept(await ok(typed.refundsAsAdmin.GET('/v1/refunds/{id}', { params: { path: { id } } })));
  }

  private async poll(): Promise<void> {
    this.polls++;
    // transactions commit out of updated_at order: read back a little behind the newest change seen.
    // Only successes are fed; the rare other ending is found by `sweep`, which reads stragglers directly.
    const after = new Date(Date.parse(this.cursor) - 300).toISOString();
    const { items } = await ok(typed.refundsAsAdmin.GET('/v1/refunds', { params: { query: { status: 'succeeded', updatedAfter: after, limit: 1000 } } }));
    for (const refund of items) this.accept(refund);
    const newest = items.at(-1)?.updatedAt;
    if (newest && newest > this.cursor) this.cursor = newest;
  }

  /** Reads directly every refund still waiting after `olderThanMs`: failed ones, and any change the feed missed. */
  async sweep(ids: Iterable<string>): Promise<void> {
    for (const id of ids) if (this.waiting.has(id)) await this.refresh(id);
  }

  private accept(refund: RefundView): void {
    if (!FINAL_STATUSES.has(refund.status) || this.finals.has(refund.id)) return;
    this.finals.set(refund.id, refund);
    const resolve = this.waiting.get(refund.id);
    if (resolve) {
      this.waiting.delete(refund.id);
      resolve(refund);
    }
  }
}

/** One parsed /metrics exposition: name{labels} → value. */
export type Metrics = Map<string, number>;

export async function scrape(service: Service): Promise<Metrics> {
  const metrics: Metrics = new Map();
  try {
    const text = await (await fetch(`${serviceUrl(service)}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const space = line.lastIndexOf(' ');
      metrics.set(line.slice(0, space), Number(line.slice(space + 1)));
    }
  } catch {
    // a service that does not answer shows as missing samples
  }
  return metrics;
}

/** The sum of every series of `name` whose labels include `match` (e.g. `outcome="acquired"`). */
export function metricSum(metrics: Metrics, name: string, match = ''): number {
  let sum = 0;
  for (const [key, value] of metrics) {
    const bare = key.split('{')[0];
    if (bare === name && key.includes(match)) sum += value;
  }
  return sum;
}

/** A quantile of a Prometheus histogram between two scrapes, interpolated inside its bucket as PromQL does. */
export function histogramQuantile(before: Metrics, after: Metrics, name: string, q: number, match = ''): number | undefined {
  const buckets = new Map<number, number>();
  for (const [key, value] of after) {
    if (!key.startsWith(`${name}_bucket{`) || !key.includes(match)) continue;
    const le = key.match(/le="([^"]+)"/)?.[1];
    if (!le) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + value - (before.get(key) ?? 0));
  }
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, count] of sorted) {
    if (count >= rank) {
      if (bound === Infinity) return lowerBound;
      return lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / Math.max(count - lowerCount, 1e-9);
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}

export interface Sample {
  t: number;
  rssMb: Partial<Record<Service, number>>;
  outboxLagS: Partial<Record<Service, number>>;
  outboxPending: Partial<Record<Service, number>>;
  queueDepth: Partial<Record<Service, number>>;
}

/** Scrapes every service once a second: RSS, outbox lag and pending rows, queue depth. */
export class Sampler {
  readonly samples: Sample[] = [];
  private timer?: NodeJS.Timeout;
  private readonly started = Date.now();

  start(): void {
    this.timer = setInterval(() => void this.sample(), 1000);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async sample(): Promise<Sample> {
    const sample: Sample = { t: (Date.now() - this.started) / 1000, rssMb: {}, outboxLagS: {}, outboxPending: {}, queueDepth: {} };
    await Promise.all(
      SERVICES.map(async (service) => {
        const metrics = await scrape(service);
        if (metrics.size === 0) return;
        sample.rssMb[service] = metricSum(metrics, 'process_resident_memory_bytes') / 2 ** 20;
        if (service === 'sandbox') return;
        sample.outboxLagS[service] = metricSum(metrics, 'outbox_lag_seconds');
        sample.outboxPending[service] = metricSum(metrics, 'outbox_pending_events');
        sample.queueDepth[service] = metricSum(metrics, 'message_queue_depth');
      }),
    );
    this.samples.push(sample);
    return sample;
  }

  /**
   * Waits until no service has events waiting in its outbox or its queue, two readings in a row (at
   * most `maxMs`), so a measurement starts on a quiet platform and not on the backlog of what came before.
   */
  async idle(report: (queued: number) => void, maxMs = 300_000): Promise<boolean> {
    const deadline = Date.now() + maxMs;
    let quiet = 0;
    while (Date.now() < deadline) {
      const sample = await this.sample();
      const queued = [...Object.values(sample.outboxPending), ...Object.values(sample.queueDepth)].reduce((a: number, b) => a + (b ?? 0), 0);
      if (queued === 0 && ++quiet >= 2) return true;
      if (queued > 0) quiet = 0;
      report(queued);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return false;
  }

  between(from: number, to: number): Sample[] {
    return this.samples.filter((sample) => sample.t >= from && sample.t <= to);
  }

  get now(): number {
    return (Date.now() - this.started) / 1000;
  }
}

/**
 * CPU seconds used so far by each service (process_cpu_seconds_total, from one scrape of each, in
 * SERVICES order) and by the servers (from /proc).
 */
export function cpuSeconds(scraped: Metrics[]): Record<string, number> {
  const used: Record<string, number> = {};
  SERVICES.forEach((service, i) => {
    if (scraped[i].size > 0) used[service] = metricSum(scraped[i], 'process_cpu_seconds_total');
  });
  const ticks = 100; // USER_HZ on Linux
  for (const pid of safeReaddir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = safeRead(`/proc/${pid}/stat`);
    if (!stat) continue;
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const server = name === 'postgres' ? 'postgresql' : name === 'beam.smp' ? 'rabbitmq' : name === 'redis-server' ? 'redis' : undefined;
    if (!server) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime + stime, and cutime + cstime: a PostgreSQL backend that exits (one per closed connection) leaves
    // its CPU time to the postmaster's children total, so without those the figure would drop as pools churn
    used[server] = (used[server] ?? 0) + (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / ticks;
  }
  return used;
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function safeRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
