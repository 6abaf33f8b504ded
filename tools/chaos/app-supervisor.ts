// Keeps every app of the chaos platform running: kills one on the schedule and starts it again, and
// restarts (and records) any that exits by itself, as an orchestrator would.
import type { PlatformApp, TestPlatform } from '@ebb/testing';

export interface UnexpectedExit {
  app: PlatformApp;
  at: string;
  code: number | null;
  signal: string | null;
  /** the last lines the process wrote */
  output: string;
}

const START_TRIES = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class AppSupervisor {
  readonly unexpectedExits: UnexpectedExit[] = [];
  /** the output of each killed process, kept for the report's evidence */
  readonly killedOutput: { app: PlatformApp; output: string }[] = [];
  private readonly expected = new Set<PlatformApp>();
  private readonly down = new Set<PlatformApp>();
  private stopping = false;

  constructor(
    private readonly platform: TestPlatform,
    private readonly log: (line: string) => void,
  ) {}

  watch(apps: readonly PlatformApp[]): void {
    for (const app of apps) this.watchOne(app);
  }

  /** SIGKILL, `downMs` without the app, then start it and wait until it is ready again. */
  async killAndRestart(app: PlatformApp, downMs: number): Promise<void> {
    this.expected.add(app);
    this.down.add(app);
    try {
      const killed = await this.platform.kill(app, 'SIGKILL');
      if (killed) this.killedOutput.push({ app, output: killed.output.slice(-4000) });
    } finally {
      this.expected.delete(app);
    }
    await sleep(downMs);
    await this.start(app);
  }

  /** Starts every app a failed restart left down. */
  async ensureAllRunning(): Promise<void> {
    for (const app of [...this.down]) await this.start(app).catch((error) => this.log(`could not start ${app} again: ${(error as Error).message.split('\n')[0]}`));
  }

  /** From now on an exit is the platform stopping. */
  stop(): void {
    this.stopping = true;
  }

  private async start(app: PlatformApp): Promise<void> {
    for (let tries = 1; ; tries++) {
      if (this.stopping) throw new Error(`not starting ${app}: the platform is stopping`);
      try {
        await this.platform.startApp(app);
        this.down.delete(app);
        this.watchOne(app);
        return;
      } catch (error) {
        // one not ready in time may still be running: ended first, so the next try gets its port
        this.expected.add(app);
        await this.platform.kill(app, 'SIGKILL').finally(() => this.expected.delete(app));
        if (tries >= START_TRIES || this.stopping) throw error;
        this.log(`${app} did not start (try ${tries}/${START_TRIES}): ${(error as Error).message.split('\n')[0]}`);
        await sleep(2000);
      }
    }
  }

  private watchOne(app: PlatformApp): void {
    void this.platform.exited(app)?.then(async ({ code, signal }) => {
      if (this.stopping || this.expected.has(app)) return;
      this.unexpectedExits.push({ app, at: new Date().toISOString(), code, signal, output: this.platform.logs(app).slice(-4000) });
      this.log(`${app} exited by itself (code ${code}, signal ${signal}): starting it again`);
      this.down.add(app);
      await this.start(app).catch((error) => this.log(`could not start ${app} again: ${(error as Error).message.split('\n')[0]}`));
    });
  }
}
