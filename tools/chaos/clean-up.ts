// What a chaos run must undo however it ends (done, failed, Ctrl-C): Prometheus and its temp dir,
// the platform, a Redis left down.

export class CleanUp {
  private readonly steps: { what: string; undo: () => Promise<void> }[] = [];
  private running?: Promise<void>;

  /** Undone in reverse order of registration. */
  add(what: string, undo: () => Promise<void>): void {
    this.steps.push({ what, undo });
  }

  /** Runs every step once, even when some fail (each failure is printed). */
  run(): Promise<void> {
    this.running ??= (async () => {
      while (this.steps.length > 0) {
        const { what, undo } = this.steps.pop()!;
        await undo().catch((error: Error) => console.error(`clean-up: ${what} failed: ${error.message}`));
      }
    })();
    return this.running;
  }

  /** Ctrl-C (or a TERM) stops the run and cleans up; a second one exits at once. */
  onSignals(): void {
    let signalled = false;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        if (signalled) process.exit(130);
        signalled = true;
        console.error(`\n${signal}: stopping what this run started (again to exit at once)`);
        void this.run().finally(() => process.exit(130));
      });
    }
  }
}
