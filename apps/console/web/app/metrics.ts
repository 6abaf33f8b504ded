// Refund figures from refund-service's public /metrics (Prometheus text format), read by the page
// itself: the console stays a client of the public API, and its server holds nothing.
//
// The samples are read here rather than with parse-prometheus-text-format 1.1.1: that library drops
// the labels, `_sum` and `_count` of a labelled histogram (refund_process_duration_seconds has an
// `outcome` label) and keeps only the last series' buckets. The exposition format's sample lines are
// simple (`name{label="value",…} value [timestamp]`); only those are needed.

/** One sample line of the text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;
const unescape = (value: string) => value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));

/** Every sample of an exposition in the Prometheus text format (comments and malformed lines skipped). */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    if (match[2]) {
      LABEL.lastIndex = 0;
      let label: RegExpExecArray | null;
      while (LABEL.lastIndex < match[2].length && (label = LABEL.exec(match[2]))) labels[label[1]] = unescape(label[2]);
    }
    const value = match[3] === '+Inf' ? Infinity : match[3] === '-Inf' ? -Infinity : Number(match[3]);
    samples.push({ name: match[1], labels, value });
  }
  return samples;
}

export const OUTCOMES = ['succeeded', 'failed', 'rejected', 'cancelled'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface RefundFigures {
  /** refunds that reached each outcome since refund-service started (all its replicas behind one URL: the one that answered) */
  outcomes: Record<Outcome, number>;
  /** failed / all outcomes, as the RefundFailureRateHigh alert computes it; null before any outcome */
  failureRate: number | null;
  /** time from request to final state */
  processing: { count: number; sum: number; mean: number | null; buckets: { le: string; count: number }[] };
  /** the oldest undecided request's age, seconds (the first-decision promise) */
  oldestUndecidedSeconds: number | null;
}

export function refundFigures(text: string): RefundFigures {
  const samples = parseSamples(text);
  const named = (name: string) => samples.filter((sample) => sample.name === name);
  const total = (name: string) => named(name).reduce((sum, sample) => sum + sample.value, 0);
  const outcomes = Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])) as Record<Outcome, number>;
  for (const sample of named('refunds_total')) {
    const outcome = sample.labels.outcome as Outcome | undefined;
    if (outcome && outcome in outcomes) outcomes[outcome] += sample.value;
  }
  const finished = OUTCOMES.reduce((sum, outcome) => sum + outcomes[outcome], 0);

  // one histogram per outcome: added up bucket by bucket, then cumulative counts made per bucket
  const byBound = new Map<string, number>();
  for (const sample of named('refund_process_duration_seconds_bucket')) byBound.set(sample.labels.le, (byBound.get(sample.labels.le) ?? 0) + sample.value);
  const bounds = [...byBound.keys()].sort((a, b) => (a === '+Inf' ? 1 : b === '+Inf' ? -1 : Number(a) - Number(b)));
  let previous = 0;
  const buckets = bounds.map((le) => {
    const cumulative = byBound.get(le) ?? 0;
    const inBucket = Math.max(0, cumulative - previous);
    previous = cumulative;
    return { le, count: inBucket };
  });
  const count = total('refund_process_duration_seconds_count');
  const sum = total('refund_process_duration_seconds_sum');
  const oldest = named('refund_oldest_undecided_seconds')[0];
  return {
    outcomes,
    failureRate: finished > 0 ? outcomes.failed / finished : null,
    processing: { count, sum, mean: count > 0 ? sum / count : null, buckets },
    oldestUndecidedSeconds: oldest ? oldest.value : null,
  };
}

/** What changed between two readings: the failure rate and mean processing time of that interval. */
export function intervalBetween(before: RefundFigures, after: RefundFigures): { failureRate: number | null; meanSeconds: number | null; finished: number } {
  const finished = OUTCOMES.reduce((sum, outcome) => sum + Math.max(0, after.outcomes[outcome] - before.outcomes[outcome]), 0);
  const failed = Math.max(0, after.outcomes.failed - before.outcomes.failed);
  const count = after.processing.count - before.processing.count;
  const sum = after.processing.sum - before.processing.sum;
  return { failureRate: finished > 0 ? failed / finished : null, meanSeconds: count > 0 ? sum / count : null, finished };
}
