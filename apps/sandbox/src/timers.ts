/** The sandbox's pending timers (settling refunds, retrying webhooks): each runs once, and `stop` cancels every one left. */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();
  private stopped = false;

  later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      if (!this.stopped) fn();
    }, ms);
    this.pending.add(timer);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}
