// What the alerts did during a chaos run, from Prometheus' own answers: each episode of each alert
// (pending, firing, resolved), the stretch it fired in, and whether the run's expectations held.
import { OUTAGE_FOR_ALERT_S, type Stretch, stretchAt } from './schedule';

/** One reading of `GET /api/v1/alerts`. */
export interface AlertSample {
  /** epoch ms */
  t: number;
  alerts: { name: string; labels: Record<string, string>; state: string; activeAt?: string }[];
}

export interface AlertEpisode {
  name: string;
  labels: Record<string, string>;
  /** epoch ms: when its condition first held (Prometheus' activeAt) */
  pendingAt: number;
  /** epoch ms: first seen firing */
  firedAt?: number;
  /** epoch ms: first reading without it */
  resolvedAt?: number;
}

export type Attribution = 'calm' | 'outage' | 'other';

const keyOf = (name: string, labels: Record<string, string>) =>
  `${name}{${Object.entries(labels)
    .filter(([label]) => label !== 'alertname' && label !== 'alertstate')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, value]) => `${label}=${value}`)
    .join(',')}}`;

/** Episodes from the readings: an alert present in consecutive readings is one episode. */
export function episodesOf(samples: readonly AlertSample[]): AlertEpisode[] {
  const done: AlertEpisode[] = [];
  let open = new Map<string, AlertEpisode>();
  for (const sample of samples) {
    const seen = new Map<string, AlertEpisode>();
    for (const alert of sample.alerts) {
      const key = keyOf(alert.name, alert.labels);
      const activeAt = alert.activeAt ? Date.parse(alert.activeAt) : sample.t;
      const episode = open.get(key) ?? seen.get(key) ?? { name: alert.name, labels: alert.labels, pendingAt: Number.isNaN(activeAt) ? sample.t : activeAt };
      if (alert.state === 'firing') episode.firedAt ??= sample.t;
      seen.set(key, episode);
    }
    for (const [key, episode] of open) if (!seen.has(key)) done.push({ ...episode, resolvedAt: sample.t });
    open = seen;
  }
  return [...done, ...open.values()].sort((a, b) => a.pendingAt - b.pendingAt);
}

/**
 * Adds what Prometheus recorded in its `ALERTS{alertstate="firing"}` series and the readings missed
 * (a reading lost while the machine was busy): an earlier firing time, or a whole episode.
 */
export function withFiringSeries(episodes: AlertEpisode[], firing: readonly { name: string; labels: Record<string, string>; from: number; to: number }[]): AlertEpisode[] {
  const merged = episodes.map((episode) => ({ ...episode }));
  for (const run of firing) {
    const key = keyOf(run.name, run.labels);
    const match = merged.find((e) => keyOf(e.name, e.labels) === key && e.pendingAt <= run.to && (e.resolvedAt ?? Infinity) >= run.from);
    if (match) match.firedAt = Math.min(match.firedAt ?? Infinity, run.from);
    else merged.push({ name: run.name, labels: run.labels, pendingAt: run.from, firedAt: run.from, resolvedAt: run.to });
  }
  return merged.sort((a, b) => a.pendingAt - b.pendingAt);
}

/** The stretch an episode fired in (calm, outage, anything else); one that never fired is not attributed. */
export function attribute(episode: AlertEpisode, t0: number, stretches: readonly Stretch[]): Attribution | undefined {
  if (episode.firedAt === undefined) return undefined;
  const stretch = stretchAt(stretches, (episode.firedAt - t0) / 1000);
  return stretch === 'calm' || stretch === 'outage' ? stretch : 'other';
}

export interface Expectation {
  name: string;
  held: boolean;
  detail: string;
}

/** What the outage's metrics showed at its end, to explain an alert that did not fire. */
export interface OutageMetrics {
  failedRefunds?: number;
  endedRefunds?: number;
  failureRatio?: number;
  /** failed provider calls payment-service counted over the outage (provider_errors_total) */
  providerErrors?: number;
  /** outcomes counted over the whole run: proof the scraping saw refund-service at all */
  runOutcomes?: number;
}

const at = (t0: number, ms: number) => `${Math.round((ms - t0) / 1000)} s`;

/** The two expectations of a run: the outage fires RefundFailureRateHigh, the calm stretch fires nothing. */
export function expectations(episodes: readonly AlertEpisode[], t0: number, stretches: readonly Stretch[], outage: OutageMetrics = {}): Expectation[] {
  const outageStretch = stretches.find((s) => s.kind === 'outage')!;
  const failureRate = episodes.filter((e) => e.name === 'RefundFailureRateHigh');
  const firedInOutage = failureRate.find((e) => attribute(e, t0, stretches) === 'outage');
  let outageDetail: string;
  if (firedInOutage) {
    outageDetail = `fired at ${at(t0, firedInOutage.firedAt!)} (outage ${outageStretch.fromS}–${outageStretch.toS} s)`;
  } else {
    const reasons: string[] = [];
    const length = outageStretch.toS - outageStretch.fromS;
    if (length < OUTAGE_FOR_ALERT_S) reasons.push(`the outage lasted ${length} s, less than the ${OUTAGE_FOR_ALERT_S} s the rule needs (for: 2m over a 5m rate): run for ≥ 5 minutes`);
    const later = failureRate.find((e) => e.firedAt !== undefined);
    if (later) reasons.push(`it fired only at ${at(t0, later.firedAt!)}, outside the outage (${outageStretch.fromS}–${outageStretch.toS} s)`);
    else if (failureRate.length > 0) reasons.push(`it was pending from ${at(t0, failureRate[0].pendingAt)} but never firing`);
    else reasons.push('it was never even pending');
    if (outage.failedRefunds !== undefined) {
      const ratio =
        outage.failureRatio === undefined ? "the rule's expression had no value at its end" : `the rule's failure ratio ${(outage.failureRatio * 100).toFixed(1)}% at its end`;
      const ended = outage.endedRefunds === undefined ? 'no refunds_total series at all' : `${outage.endedRefunds} refunds that reached an outcome`;
      const errors = outage.providerErrors === undefined ? '' : ` (while payment-service counted ${outage.providerErrors} failed provider calls)`;
      reasons.push(`over the outage refund-service counted ${outage.failedRefunds} failed of ${ended}${errors}, ${ratio}`);
    }
    outageDetail = reasons.join('; ');
  }
  const calmFired = episodes.filter((e) => attribute(e, t0, stretches) === 'calm');
  return [
    { name: 'the provider outage fired RefundFailureRateHigh', held: Boolean(firedInOutage), detail: outageDetail },
    {
      name: 'the calm stretch fired no alert',
      held: calmFired.length === 0,
      detail: calmFired.length === 0 ? 'none fired' : calmFired.map((e) => `${e.name} at ${at(t0, e.firedAt!)}`).join(', '),
    },
  ];
}
