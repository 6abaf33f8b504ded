// The three scenarios of `npm run bench`. Each records every refund it had accepted, so the ledger
// check at the end of the run can account for all of them.
import { randomUUID } from 'node:crypto';
import { ApiError, type RequestBody, ok } from '@ebb/api-client';
import { type Catalog, type PaidOrder, type RefundView, bearer, inParallel, paidOrder, sleep, tokens, typed } from './client';
import { type Metrics, type RefundFeed, type Sample, type Sampler, histogramQuantile, scrape } from './platform';

export interface Accepted {
  refundId: string;
  orderId: string;
  amount: number;
  sentAt: number; // epoch ms, client clock (same host as the services)
  requestMs: number;
}

export interface Context {
  run: string;
  catalog: Catalog;
  feed: RefundFeed;
  sampler: Sampler;
  accepted: Accepted[];
  orders: PaidOrder[];
  progress: (line: string, final?: boolean) => void;
  log: (line: string) => void;
  /** How long the last seeding took: its rate is the machine's pace at taking orders. */
  lastSeedSeconds: number;
}

export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
  return { count: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1) ?? NaN };
}

/** Milliseconds from the client sending the request to the refund's `succeeded` entry in its history. */
export function toSucceededMs(accepted: Accepted, final: RefundView | undefined): number | undefined {
  const at = final?.history.find((entry) => entry.status === 'succeeded')?.at;
  return at ? Date.parse(at) - accepted.sentAt : undefined;
}

/** Seeds paid orders through the public API, with a progress line. */
export async function seedOrders(ctx: Context, count: number, unitAmount = 1000, concurrency = 24): Promise<PaidOrder[]> {
  const started = Date.now();
  let done = 0;
  const timer = setInterval(() => ctx.progress(`seeding paid orders ${done}/${count} (${rate(done, started)}/s)`), 500);
  try {
    const orders = await inParallel(Array.from({ length: count }, (_, i) => i), concurrency, async (i) => {
      const order = await paidOrder(ctx.catalog, i, unitAmount);
      done++;
      return order;
    });
    ctx.lastSeedSeconds = (Date.now() - started) / 1000;
    ctx.progress(`seeded ${count} paid orders in ${ctx.lastSeedSeconds.toFixed(1)} s (${rate(count, started)}/s)`, true);
    ctx.orders.push(...orders);
    clearInterval(timer);
    // the seeding's own events (stock reservations, notifications) are handled before anything is measured
    const quiet = await ctx.sampler.idle((queued) => ctx.progress(`waiting for the seeding's events to be handled: ${queued} queued`));
    if (!quiet) ctx.log('the platform did not go quiet after seeding within 5 minutes: the measurement starts on a backlog');
    return orders;
  } finally {
    clearInterval(timer);
  }
}

const rate = (count: number, since: number) => ((count * 1000) / Math.max(Date.now() - since, 1)).toFixed(0);

interface Outcome {
  accepted: number;
  refused: Record<string, number>;
}

/**
 * POST /v1/refunds with an Idempotency-Key, as a storefront that may retry sends it; 201 is recorded as
 * accepted, a refusal is counted by its code.
 */
async function requestRefund(
  ctx: Context,
  outcome: Outcome,
  order: PaidOrder,
  token: string,
  body: Omit<RequestBody<'/v1/refunds', 'post'>, 'orderId'>,
  started = performance.now(), // when the request was due: an open loop counts the wait before sending too
): Promise<Accepted | undefined> {
  const sentAt = Date.now();
  try {
    const refund = await ok(
      typed.refunds.POST('/v1/refunds', { body: { orderId: order.id, ...body }, params: { header: { 'Idempotency-Key': randomUUID() } }, headers: bearer(token) }),
    );
    const accepted = { refundId: refund.id, orderId: order.id, amount: refund.amount, sentAt, requestMs: performance.now() - started };
    ctx.accepted.push(accepted);
    outcome.accepted++;
    return accepted;
  } catch (error) {
    const code = error instanceof ApiError ? error.code : (error as Error).message;
    outcome.refused[code] = (outcome.refused[code] ?? 0) + 1;
    return undefined;
  }
}

/**
 * Waits for refunds to end, reading the stragglers directly every few seconds. An overloaded run may
 * leave a long backlog: it waits as long as refunds keep ending, and gives up after `idleMs` without one.
 */
async function settle(ctx: Context, batch: Accepted[], idleMs: number): Promise<void> {
  const open = () => batch.filter((a) => !ctx.feed.finalOf(a.refundId));
  let left = open().length;
  let lastProgress = Date.now();
  while (left > 0 && Date.now() - lastProgress < idleMs) {
    ctx.progress(`waiting for ${left} refunds to end`);
    await sleep(2000);
    const now = open();
    if (now.length < left) lastProgress = Date.now();
    else await ctx.feed.sweep(now.map((a) => a.refundId));
    left = now.length;
  }
}

export interface SpreadLevel {
  concurrency: number;
  seconds: number;
  accepted: number;
  refused: Record<string, number>;
  acceptedPerSec: number;
  completed: number;
  completedPerSec: number;
  requestMs: Percentiles;
  toSucceededMs: Percentiles;
  ranOutOfOrders: boolean;
  maxRssMb: Partial<Record<string, number>>;
}

/**
 * `spread`: many orders, one full refund each. At each concurrency level, that many customers each
 * ask for a refund and wait for it to succeed before the next one asks: the refunds in flight are
 * the level. Completed refunds/s counts those that reached `succeeded` inside the level's window.
 */
export async function spread(
  ctx: Context,
  levels: number[],
  seconds: number,
  ordersPerLevel: (level: number, previous: SpreadLevel | undefined, seedRate: number) => number,
) {
  const results: SpreadLevel[] = [];
  // a first batch shows how fast this machine takes orders: a fair first guess of how fast it refunds
  const warmUp = await seedOrders(ctx, 50);
  const seedRate = 50 / ctx.lastSeedSeconds;
  for (const concurrency of levels) {
    const wanted = ordersPerLevel(concurrency, results.at(-1), seedRate);
    const orders = results.length === 0 ? [...warmUp, ...(await seedOrders(ctx, Math.max(0, wanted - warmUp.length)))] : await seedOrders(ctx, wanted);
    const outcome: Outcome = { accepted: 0, refused: {} };
    const mine: Accepted[] = [];
    let next = 0;
    let completed = 0;
    const started = Date.now();
    const samplerFrom = ctx.sampler.now;
    const deadline = started + seconds * 1000;
    const timer = setInterval(() => {
      const s = (Date.now() - started) / 1000;
      ctx.progress(
        `spread c=${concurrency} ${s.toFixed(0)}/${seconds} s · accepted ${outcome.accepted} (${(outcome.accepted / s).toFixed(0)}/s) · succeeded ${completed} (${(completed / s).toFixed(0)}/s) · refused ${sumOf(outcome.refused)}`,
      );
    }, 1000);
    const worker = async () => {
      while (Date.now() < deadline && next < orders.length) {
        const order = orders[next++];
        const accepted = await requestRefund(ctx, outcome, order, order.token, { reason: 'requested_by_customer' });
        if (!accepted) continue;
        mine.push(accepted);
        await ctx.feed.final(accepted.refundId);
        completed++;
      }
    };
    const workers = Array.from({ length: concurrency }, worker);
    const sweeper = setInterval(() => void ctx.feed.sweep(mine.filter((a) => Date.now() - a.sentAt > 5000).map((a) => a.refundId)), 5000);
    await Promise.race([Promise.all(workers), sleep(seconds * 1000 + 120_000)]);
    clearInterval(sweeper);
    clearInterval(timer);
    const elapsed = Math.min((Date.now() - started) / 1000, seconds);
    const end = started + elapsed * 1000;
    await settle(ctx, mine, 60_000);
    const finals = mine.map((a) => toSucceededMs(a, ctx.feed.finalOf(a.refundId)));
    const inWindow = mine.filter((a, i) => finals[i] !== undefined && a.sentAt + finals[i]! <= end).length;
    const level: SpreadLevel = {
      concurrency,
      seconds: elapsed,
      accepted: outcome.accepted,
      refused: outcome.refused,
      acceptedPerSec: mine.filter((a) => a.sentAt <= end).length / elapsed,
      completed: inWindow,
      completedPerSec: inWindow / elapsed,
      requestMs: percentiles(mine.map((a) => a.requestMs)),
      toSucceededMs: percentiles(finals.filter((v): v is number => v !== undefined)),
      ranOutOfOrders: next >= orders.length && Date.now() - started < seconds * 1000,
      maxRssMb: maxRss(ctx.sampler.between(samplerFrom, ctx.sampler.now)),
    };
    ctx.progress(
      `spread c=${concurrency}: ${level.completedPerSec.toFixed(1)} succeeded/s, request p99 ${level.requestMs.p99.toFixed(0)} ms, request→succeeded p99 ${level.toSucceededMs.p99.toFixed(0)} ms${level.ranOutOfOrders ? ' (ran out of seeded orders)' : ''}`,
      true,
    );
    results.push(level);
  }
  return results;
}

export interface HotResult {
  concurrency: number;
  seconds: number;
  capturedAmount: number;
  refundAmount: number;
  accepted: number;
  acceptedPerSec: number;
  refused: Record<string, number>;
  acceptedAmount: number;
  requestMs: Percentiles;
  lockWaitP99Ms?: number;
  lockWaitP50Ms?: number;
  lockTimeouts: number;
}

/** `hot`: one order, many small partial refunds at once; every one goes through the order's lock. */
export async function hot(ctx: Context, concurrency: number, seconds: number, refundAmount: number): Promise<HotResult> {
  // one order big enough that the run never exhausts it: 100 units of 1,000.00 (EUR 100,000)
  const order = await paidOrder(ctx.catalog, 0, 100_000, 100);
  ctx.orders.push(order);
  const before = await scrape('refund');
  const outcome: Outcome = { accepted: 0, refused: {} };
  const mine: Accepted[] = [];
  const started = Date.now();
  const deadline = started + seconds * 1000;
  const timer = setInterval(() => {
    const s = (Date.now() - started) / 1000;
    ctx.progress(`hot c=${concurrency} ${s.toFixed(0)}/${seconds} s · accepted ${outcome.accepted} (${(outcome.accepted / s).toFixed(0)}/s) · refused ${JSON.stringify(outcome.refused)}`);
  }, 1000);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        const accepted = await requestRefund(ctx, outcome, order, tokens.support, { amount: refundAmount, reason: 'goodwill' });
        if (accepted) mine.push(accepted);
      }
    }),
  );
  clearInterval(timer);
  const elapsed = (Date.now() - started) / 1000;
  const after = await scrape('refund');
  const lockWait = (q: number) => histogramQuantile(before, after, 'lock_wait_seconds', q);
  const result: HotResult = {
    concurrency,
    seconds: elapsed,
    capturedAmount: order.totalAmount,
    refundAmount,
    accepted: outcome.accepted,
    acceptedPerSec: outcome.accepted / elapsed,
    refused: outcome.refused,
    acceptedAmount: mine.reduce((sum, a) => sum + a.amount, 0),
    requestMs: percentiles(mine.map((a) => a.requestMs)),
    lockWaitP50Ms: msOf(lockWait(0.5)),
    lockWaitP99Ms: msOf(lockWait(0.99)),
    lockTimeouts: counterDelta(before, after, 'lock_wait_seconds_count', 'outcome="timeout"'),
  };
  ctx.progress(
    `hot c=${concurrency}: ${result.acceptedPerSec.toFixed(1)} accepted/s on one order, lock wait p99 ${result.lockWaitP99Ms?.toFixed(1)} ms`,
    true,
  );
  return result;
}

export interface SteadyResult {
  rate: number;
  seconds: number;
  sent: number;
  accepted: number;
  refused: Record<string, number>;
  requestMs: Percentiles;
  toSucceededMs: Percentiles;
  lateSendsMs: Percentiles;
  samples: Sample[];
  maxOutboxLagS: Partial<Record<string, number>>;
  maxOutboxPending: Partial<Record<string, number>>;
  maxQueueDepth: Partial<Record<string, number>>;
  maxRssMb: Partial<Record<string, number>>;
  rssGrowthMbPerMin: Partial<Record<string, number>>;
}

/**
 * `steady`: refunds arrive at a fixed rate whatever the answers (an open loop, so a slow answer does
 * not slow the arrivals and hide itself); request latency counts from the moment a request was due.
 */
export async function steady(
  ctx: Context,
  ratePerSec: number,
  seconds: number,
  around: (phase: 'before' | 'after') => Promise<void> = async () => undefined,
): Promise<SteadyResult> {
  const orders = await seedOrders(ctx, Math.ceil(ratePerSec * seconds));
  await around('before');
  const outcome: Outcome = { accepted: 0, refused: {} };
  const mine: Accepted[] = [];
  const late: number[] = [];
  const inFlight = new Set<Promise<unknown>>();
  const samplerFrom = ctx.sampler.now;
  const started = performance.now();
  const startedAt = Date.now();
  const timer = setInterval(() => {
    const s = (Date.now() - startedAt) / 1000;
    const last = ctx.sampler.samples.at(-1);
    ctx.progress(
      `steady ${ratePerSec}/s ${s.toFixed(0)}/${seconds} s · accepted ${outcome.accepted} · refused ${sumOf(outcome.refused)} · in flight ${inFlight.size} · outbox lag ${fmtMax(last?.outboxLagS)} s · queued ${fmtSum(last?.queueDepth)}`,
    );
  }, 1000);
  for (let i = 0; i < orders.length; i++) {
    const due = started + (i * 1000) / ratePerSec;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    late.push(Math.max(0, performance.now() - due));
    const order = orders[i];
    const request = requestRefund(ctx, outcome, order, order.token, { reason: 'requested_by_customer' }, due).then((accepted) => {
      if (accepted) mine.push(accepted);
    });
    inFlight.add(request);
    void request.finally(() => inFlight.delete(request));
  }
  await Promise.all(inFlight);
  clearInterval(timer);
  const elapsed = (Date.now() - startedAt) / 1000;
  await settle(ctx, mine, 60_000);
  await around('after');
  const samples = ctx.sampler.between(samplerFrom, ctx.sampler.now);
  const result: SteadyResult = {
    rate: ratePerSec,
    seconds: elapsed,
    sent: orders.length,
    accepted: outcome.accepted,
    refused: outcome.refused,
    requestMs: percentiles(mine.map((a) => a.requestMs)),
    toSucceededMs: percentiles(mine.map((a) => toSucceededMs(a, ctx.feed.finalOf(a.refundId))).filter((v): v is number => v !== undefined)),
    lateSendsMs: percentiles(late),
    samples,
    maxOutboxLagS: maxOf(samples, 'outboxLagS'),
    maxOutboxPending: maxOf(samples, 'outboxPending'),
    maxQueueDepth: maxOf(samples, 'queueDepth'),
    maxRssMb: maxRss(samples),
    rssGrowthMbPerMin: rssGrowth(samples.filter((sample) => sample.t <= samplerFrom + elapsed)),
  };
  ctx.progress(
    `steady ${ratePerSec}/s: request p99 ${result.requestMs.p99.toFixed(1)} ms, request→succeeded p99 ${result.toSucceededMs.p99.toFixed(0)} ms, outbox lag max ${fmtMax(result.maxOutboxLagS)} s`,
    true,
  );
  return result;
}

const sumOf = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const msOf = (seconds: number | undefined) => (seconds === undefined ? undefined : seconds * 1000);
const counterDelta = (before: Metrics, after: Metrics, name: string, match: string) => {
  let delta = 0;
  for (const [key, value] of after) if (key.startsWith(`${name}{`) && key.includes(match)) delta += value - (before.get(key) ?? 0);
  return delta;
};
const fmtMax = (values?: Partial<Record<string, number>>) => Math.max(0, ...Object.values(values ?? {}).map(Number)).toFixed(2);
const fmtSum = (values?: Partial<Record<string, number>>) => Object.values(values ?? {}).reduce((a: number, b) => a + (b ?? 0), 0);

function maxOf(samples: Sample[], field: 'outboxLagS' | 'outboxPending' | 'queueDepth' | 'rssMb'): Partial<Record<string, number>> {
  const max: Partial<Record<string, number>> = {};
  for (const sample of samples) for (const [service, value] of Object.entries(sample[field])) max[service] = Math.max(max[service] ?? 0, value ?? 0);
  return max;
}
export const maxRss = (samples: Sample[]) => maxOf(samples, 'rssMb');

/** RSS slope over the second half of the run (least squares), MB per minute: still growing or flat. */
function rssGrowth(samples: Sample[]): Partial<Record<string, number>> {
  const half = samples.slice(Math.floor(samples.length / 2));
  const growth: Partial<Record<string, number>> = {};
  const services = new Set(half.flatMap((sample) => Object.keys(sample.rssMb)));
  for (const service of services) {
    const points = half.flatMap((sample) => (sample.rssMb[service as keyof Sample['rssMb']] === undefined ? [] : [[sample.t, sample.rssMb[service as keyof Sample['rssMb']]!]]));
    if (points.length < 3) continue;
    const meanT = points.reduce((a, [t]) => a + t, 0) / points.length;
    const meanY = points.reduce((a, [, y]) => a + y, 0) / points.length;
    const slope = points.reduce((a, [t, y]) => a + (t - meanT) * (y - meanY), 0) / points.reduce((a, [t]) => a + (t - meanT) ** 2, 0);
    growth[service] = slope * 60;
  }
  return growth;
}
