// Injects the schedule's faults at their times, in two lanes that never wait on each other: instants
// (a kill and restart, a broker drop, a Redis restart) one after another, and the sandbox's windows.
import type { ApiClient } from '@ebb/api-client';
import type { PlatformApp } from '@ebb/testing';
import type { AppSupervisor } from './app-supervisor';
import { dropConnections } from './broker-connections';
import { restartRedis } from './redis-restart';
import { type FaultEvent, type FaultKind, SANDBOX_SETTINGS, type Schedule, type WindowFault } from './schedule';

export interface InjectedFault {
  kind: FaultKind;
  plannedAtS: number;
  startedAtS: number;
  endedAtS: number;
  ok: boolean;
  detail?: string;
}

export interface FaultRunnerDeps {
  api: ApiClient;
  supervisor: AppSupervisor;
  /** TestPlatform's suffix, in the names of this platform's broker connections */
  suffix: string;
  /** epoch ms of the run's second 0 */
  t0: number;
  log: (line: string) => void;
}

/** A killed service stays down this long before it is started again; Redis likewise. */
const DOWN_MS = 2000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class FaultRunner {
  readonly injected: InjectedFault[] = [];
  private stopped = false;
  private wake?: () => void;

  constructor(private readonly deps: FaultRunnerDeps) {}

  private get nowS(): number {
    return (Date.now() - this.deps.t0) / 1000;
  }

  /** Runs every fault of the schedule; resolves when both lanes are done (or stopped). */
  async run(schedule: Schedule): Promise<void> {
    const windows = schedule.events.filter((event) => event.untilS !== undefined);
    const instants = schedule.events.filter((event) => event.untilS === undefined);
    await Promise.all([this.lane(instants, (event) => this.instant(event)), this.lane(windows, (event) => this.window(event))]);
  }

  /** No new fault starts; the one under way finishes (a restarted service is ready again) and the sandbox is cleared. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private async lane(events: FaultEvent[], inject: (event: FaultEvent) => Promise<string | undefined>): Promise<void> {
    for (const event of events) {
      if (!(await this.until(event.atS))) return;
      const startedAtS = this.nowS;
      let ok = true;
      let detail: string | undefined;
      try {
        detail = await inject(event);
      } catch (error) {
        ok = false;
        detail = (error as Error).message.split('\n')[0];
      }
      this.injected.push({ kind: event.kind, plannedAtS: event.atS, startedAtS, endedAtS: this.nowS, ok, detail });
      this.deps.log(`fault ${event.kind} ${ok ? 'done' : 'FAILED'} at ${startedAtS.toFixed(0)} s${detail ? `: ${detail}` : ''}`);
    }
  }

  /** Sleeps until second `atS` of the run; false if the runner was stopped meanwhile. */
  private async until(atS: number): Promise<boolean> {
    while (!this.stopped && this.nowS < atS) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, Math.min(1000, (atS - this.nowS) * 1000));
      });
    }
    return !this.stopped;
  }

  private async instant(event: FaultEvent): Promise<string | undefined> {
    if (event.kind === 'broker-drop') {
      const { found, closed } = await dropConnections(this.deps.suffix);
      if (found === 0) throw new Error('no connection of this platform found to close');
      if (closed.length === 0) throw new Error(`rabbitmqctl closed none of the ${found} connections found`);
      return `${closed.length} of ${found} connections closed`;
    }
    if (event.kind === 'redis-restart') {
      await restartRedis(DOWN_MS);
      return `down ${DOWN_MS / 1000} s`;
    }
    const app = event.kind.replace(/^kill-/, '') as PlatformApp;
    const started = Date.now();
    await this.deps.supervisor.killAndRestart(app, DOWN_MS);
    return `SIGKILL, ready again after ${((Date.now() - started) / 1000).toFixed(1)} s`;
  }

  private async window(event: FaultEvent): Promise<string | undefined> {
    const settings = SANDBOX_SETTINGS[event.kind as WindowFault];
    await this.sandbox('POST', settings);
    await this.until(event.untilS!);
    // cleared even when the run is stopping: no fault outlives its window
    await this.sandbox('DELETE');
    return `${JSON.stringify(settings)} for ${(this.nowS - event.atS).toFixed(0)} s`;
  }

  private async sandbox(method: 'POST' | 'DELETE', body?: object): Promise<void> {
    for (let tries = 1; ; tries++) {
      const answer = await this.deps.api.request('sandbox', method, '/__sandbox/faults', { body, timeoutMs: 10_000 }).catch((error: Error) => ({ status: 0, body: error.message }));
      if (answer.status === 200) return;
      if (tries >= 5) throw new Error(`sandbox faults ${method} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      await sleep(500);
    }
  }
}
