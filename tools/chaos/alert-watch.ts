// Reads Prometheus while a chaos run goes on: its active alerts every few seconds, and at the end
// the ALERTS series and the refund counters over the outage, through its HTTP API.
import type { AlertSample, OutageMetrics } from './alerts';

interface PromAlert {
  labels: Record<string, string>;
  state: string;
  activeAt?: string;
}

export interface FiringRun {
  name: string;
  labels: Record<string, string>;
  from: number;
  to: number;
}

const get = async <T>(url: string): Promise<T> => {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`prometheus: ${body.error ?? response.status}`);
  return body.data;
};

export class AlertWatch {
  readonly samples: AlertSample[] = [];
  failedReads = 0;
  private timer?: NodeJS.Timeout;
  private reading?: Promise<void>;

  constructor(private readonly url: string) {}

  start(intervalMs = 3000): void {
    this.timer = setInterval(() => {
      this.reading ??= this.read().finally(() => (this.reading = undefined));
    }, intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.reading;
    await this.read();
  }

  /** Names of the alerts firing in the last reading. */
  get firingNow(): string[] {
    return (this.samples.at(-1)?.alerts ?? []).filter((a) => a.state === 'firing').map((a) => a.name);
  }

  private async read(): Promise<void> {
    try {
      const data = await get<{ alerts: PromAlert[] }>(`${this.url}/api/v1/alerts`);
      this.samples.push({
        t: Date.now(),
        alerts: data.alerts.map((a) => ({ name: a.labels.alertname, labels: a.labels, state: a.state, activeAt: a.activeAt })),
      });
    } catch {
      this.failedReads++;
    }
  }

  /** The runs of `ALERTS{alertstate="firing"}` between two instants, as Prometheus recorded them. */
  async firingRuns(fromMs: number, toMs: number, stepS: number): Promise<FiringRun[]> {
    const query = new URLSearchParams({ query: 'ALERTS{alertstate="firing"}', start: String(fromMs / 1000), end: String(toMs / 1000), step: `${stepS}s` });
    const data = await get<{ result: { metric: Record<string, string>; values: [number, string][] }[] }>(`${this.url}/api/v1/query_range?${query}`);
    const runs: FiringRun[] = [];
    for (const series of data.result) {
      // the series' own name and state are not the alert's labels: the live view has neither
      const { alertname, __name__: _name, alertstate: _state, ...labels } = series.metric;
      let run: FiringRun | undefined;
      for (const [t] of series.values) {
        const ms = t * 1000;
        // a gap longer than two steps ends a run
        if (run && ms - run.to <= stepS * 2000) run.to = ms;
        else runs.push((run = { name: alertname, labels: { alertname, ...labels }, from: ms, to: ms }));
      }
    }
    return runs;
  }

  /**
   * Refund outcomes counted over [fromMs, toMs] and the failure ratio the alert rule computes at toMs
   * (the outage), and the outcomes since `runFromMs` (the whole run). No failed series means none failed.
   */
  async outageMetrics(fromMs: number, toMs: number, runFromMs: number): Promise<OutageMetrics> {
    const seconds = (from: number, to: number) => Math.max(1, Math.round((to - from) / 1000));
    const scalar = async (expr: string, at: number) => {
      const data = await get<{ result: { value: [number, string] }[] }>(`${this.url}/api/v1/query?${new URLSearchParams({ query: expr, time: String(at / 1000) })}`);
      const value = data.result[0]?.value[1];
      return value === undefined ? undefined : Number(value);
    };
    const now = Date.now();
    const [failed, ended, ratio, run, providerErrors] = await Promise.all([
      scalar(`sum(increase(refunds_total{outcome="failed"}[${seconds(fromMs, toMs)}s]))`, toMs),
      scalar(`sum(increase(refunds_total[${seconds(fromMs, toMs)}s]))`, toMs),
      scalar('sum(rate(refunds_total{outcome="failed"}[5m])) / sum(rate(refunds_total[5m]))', toMs),
      scalar(`sum(increase(refunds_total[${seconds(runFromMs, now)}s]))`, now),
      scalar(`sum(increase(provider_errors_total[${seconds(fromMs, toMs)}s]))`, toMs),
    ]);
    const whole = (value: number | undefined) => (value === undefined ? undefined : Math.round(value));
    return {
      failedRefunds: whole(failed) ?? 0,
      endedRefunds: whole(ended),
      failureRatio: ratio === undefined || Number.isNaN(ratio) ? undefined : ratio,
      runOutcomes: whole(run),
      providerErrors: whole(providerErrors) ?? 0,
    };
  }
}
