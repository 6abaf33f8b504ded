/**
 * A background loop that works until nothing is left: `wake()` starts a pass, or, while one runs,
 * asks for another right after it, so wakes that arrive together cost one pass. An error ends the
 * drain (the caller's poll or next wake tries again). Used by the outbox relay and by services'
 * senders and dispatchers.
 */
export class DrainLoop {
  private draining?: Promise<void>;
  private rerun = false;
  private stopped = false;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly options: {
      onError: (error: unknown) => void;
      /** runs before a pass asked for during the previous one (e.g. to let more work gather) */
      beforeRerun?: () => Promise<void>;
    },
  ) {}

  /** Starts a pass now, or one more after the pass in progress; resolves when the drain ends. */
  wake(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.draining) {
      this.rerun = true;
      return this.draining;
    }
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  /** Takes no more wakes and waits for the pass in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.draining;
  }

  /** Takes wakes again after a stop. */
  resume(): void {
    this.stopped = false;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  private async drain(): Promise<void> {
    do {
      if (this.rerun) await this.options.beforeRerun?.();
      this.rerun = false;
      try {
        await this.pass();
      } catch (error) {
        this.options.onError(error);
        return;
      }
    } while (this.rerun && !this.stopped);
  }
}
