// When each fault is injected during a chaos run: a calm stretch, a stretch of every other fault,
// then a provider outage long enough for the alert rules to fire. Pure: one seed, one schedule.
import { type Random, seededRandom } from './random';

/** Faults that happen at an instant: a process killed and started again, connections cut, Redis restarted. */
export const PROCESS_FAULTS = ['kill-order', 'kill-payment', 'kill-refund', 'kill-inventory', 'kill-notification', 'broker-drop', 'redis-restart'] as const;
/** Faults the sandbox holds for a window (`POST /__sandbox/faults`), one at a time. */
export const SANDBOX_FAULTS = ['provider-latency', 'provider-errors', 'duplicate-webhooks', 'reorder-webhooks', 'slow-carrier'] as const;

export type ProcessFault = (typeof PROCESS_FAULTS)[number];
export type WindowFault = (typeof SANDBOX_FAULTS)[number] | 'provider-outage';
export type FaultKind = ProcessFault | WindowFault;
export const FAULT_KINDS: readonly FaultKind[] = [...PROCESS_FAULTS, ...SANDBOX_FAULTS, 'provider-outage'];

/** The sandbox's fault settings of each window (what a POST leaves out is off). */
export const SANDBOX_SETTINGS: Record<WindowFault, Record<string, number | boolean>> = {
  'provider-latency': { latencyMs: 1500 },
  'provider-errors': { errorRate: 0.3 },
  'duplicate-webhooks': { duplicateWebhooks: true },
  'reorder-webhooks': { reorderWebhooks: true },
  // below refund-service's CARRIER_TIMEOUT_MS (5 s): slow, not down
  'slow-carrier': { carrierLatencyMs: 2500 },
  'provider-outage': { errorRate: 1 },
};

/** Windows whose error rate also fails the sandbox's carrier (its errorRate covers every API it serves). */
export const CARRIER_FAILING: readonly WindowFault[] = ['provider-errors', 'provider-outage'];

export type StretchKind = 'calm' | 'faults' | 'outage';

export interface Stretch {
  kind: StretchKind;
  fromS: number;
  toS: number;
}

export interface FaultEvent {
  kind: FaultKind;
  /** seconds from the start of the run */
  atS: number;
  /** the end of a window fault */
  untilS?: number;
}

export interface Schedule {
  seed: number;
  durationS: number;
  stretches: Stretch[];
  /** every fault, by start time */
  events: FaultEvent[];
  /** kinds left out by an option (--no-redis-restart, --no-broker-drops) */
  skipped: FaultKind[];
}

export interface ScheduleOptions {
  minutes: number;
  seed: number;
  redisRestart: boolean;
  brokerDrops: boolean;
}

/** RefundFailureRateHigh's `for: 2m`, plus time for its 5-minute rate to cross the threshold. */
export const OUTAGE_FOR_ALERT_S = 150;
/** Instant faults at most this often, so each restart is over before the next fault. */
const PROCESS_SPACING_S = 30;
/** A sandbox window lasts at least this long when the run is long enough to repeat them. */
const WINDOW_S = 60;

/**
 * How a run of `minutes` is cut, in order:
 * - calm: the first 20%, no fault at all;
 * - faults: what is left between, every process fault (a round of each kind, in a seeded order, spread
 *   evenly with jitter, another round whenever the stretch leaves ≥ 30 s per fault) and every sandbox
 *   window but the outage (equal windows, another round whenever each would still last ≥ 60 s);
 * - outage: the last 40%, at least 150 s (the alert's `for: 2m` plus its rate's reaction) where that
 *   is at most half the run; shorter runs cannot expect RefundFailureRateHigh to fire.
 */
export function stretchesFor(minutes: number): Stretch[] {
  const total = Math.round(minutes * 60);
  const calm = Math.round(total * 0.2);
  const outage = Math.round(Math.max(total * 0.4, Math.min(total * 0.5, OUTAGE_FOR_ALERT_S)));
  return [
    { kind: 'calm', fromS: 0, toS: calm },
    { kind: 'faults', fromS: calm, toS: total - outage },
    { kind: 'outage', fromS: total - outage, toS: total },
  ];
}

export function buildSchedule(options: ScheduleOptions): Schedule {
  const random = seededRandom(options.seed);
  const stretches = stretchesFor(options.minutes);
  const faults = stretches.find((s) => s.kind === 'faults')!;
  const outage = stretches.find((s) => s.kind === 'outage')!;
  const skipped: FaultKind[] = [];
  if (!options.redisRestart) skipped.push('redis-restart');
  if (!options.brokerDrops) skipped.push('broker-drop');
  const processKinds = PROCESS_FAULTS.filter((kind) => !skipped.includes(kind));
  const events: FaultEvent[] = [
    ...instants(random, processKinds, faults),
    ...windows(random, faults),
    { kind: 'provider-outage' as const, atS: outage.fromS, untilS: outage.toS },
  ].sort((a, b) => a.atS - b.atS);
  return { seed: options.seed, durationS: outage.toS, stretches, events, skipped };
}

const tenths = (seconds: number) => Math.round(seconds * 10) / 10;

function instants(random: Random, kinds: readonly ProcessFault[], stretch: Stretch): FaultEvent[] {
  const span = stretch.toS - stretch.fromS;
  const rounds = Math.max(1, Math.floor(span / (kinds.length * PROCESS_SPACING_S)));
  const order = Array.from({ length: rounds }, () => random.shuffle(kinds)).flat();
  const gap = span / order.length;
  // jitter within a quarter of the gap either way: two faults never swap places or meet
  return order.map((kind, i) => ({ kind, atS: tenths(stretch.fromS + (i + 0.5) * gap + (random.next() - 0.5) * gap * 0.5) }));
}

function windows(random: Random, stretch: Stretch): FaultEvent[] {
  const span = stretch.toS - stretch.fromS;
  const rounds = Math.max(1, Math.floor(span / (SANDBOX_FAULTS.length * WINDOW_S)));
  const order = Array.from({ length: rounds }, () => random.shuffle(SANDBOX_FAULTS)).flat();
  const length = span / order.length;
  // a short gap between two windows: the sandbox holds one setting at a time, cleared before the next
  const gap = Math.min(2, length * 0.1);
  return order.map((kind, i) => ({ kind, atS: tenths(stretch.fromS + i * length), untilS: tenths(stretch.fromS + (i + 1) * length - gap) }));
}

/** The stretch a moment of the run falls in; before the start and after the end are the run's edges. */
export function stretchAt(stretches: readonly Stretch[], seconds: number): StretchKind | 'before' | 'after' {
  if (seconds < 0) return 'before';
  return stretches.find((s) => seconds >= s.fromS && seconds < s.toS)?.kind ?? 'after';
}
