/** The most deliveries handled in one transaction. */
export const MAX_BATCH = 50;
/** Batches in flight at once, unless the service says otherwise; more deliveries wait for the next batch. */
export const CONCURRENT_BATCHES = 4;

/**
 * Gathers items that arrive together (within one turn of the event loop) into batches of at most
 * `maxBatch`, and runs at most `concurrency` batches at once: items that arrive meanwhile wait and
 * make the next batch larger. `add` resolves once the item's batch has run.
 */
export class Batcher<T> {
  private readonly waiting: { item: T; done: () => void }[] = [];
  private flushScheduled = false;
  private active = 0;

  constructor(
    private readonly run: (batch: T[]) => Promise<void>,
    private readonly track: (work: Promise<void>) => void,
    private concurrency = CONCURRENT_BATCHES,
    private readonly maxBatch = MAX_BATCH,
  ) {}

  atOnce(count: number): void {
    if (!Number.isInteger(count) || count < 1) throw new Error(`batchesAtOnce takes a whole number ≥ 1, not ${count}`);
    this.concurrency = count;
  }

  add(item: T): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push({ item, done: resolve });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    while (this.waiting.length > 0 && this.active < this.concurrency) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.active++;
      const work = this.run(batch.map((entry) => entry.item)).finally(() => {
        this.active--;
        batch.forEach((entry) => entry.done());
        if (this.waiting.length > 0) this.flush();
      });
      this.track(work);
    }
  }
}
