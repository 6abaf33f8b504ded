import type { DataSource, EntityManager, EntitySubscriberInterface, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';

export const OUTBOX_NOTIFY_CHANNEL = 'ebb_outbox';

/** At most one NOTIFY per this interval per process: each one serialises commits in PostgreSQL. */
const NOTIFY_INTERVAL_MS = 20;
const WRITTEN = 'ebb:outbox-written';

const signals = new WeakMap<DataSource, OutboxCommitSignal>();

/**
 * Tells relays that outbox rows have committed: a relay in this process at once, relays elsewhere by
 * a NOTIFY on `ebb_outbox`, coalesced so a busy writer sends a few per second rather than one per
 * commit (a NOTIFY per commit halved the commit rate in the outbox benchmark).
 */
export class OutboxCommitSignal implements EntitySubscriberInterface {
  private readonly listeners = new Set<() => void>();
  private lastNotify = 0;
  private trailing?: NodeJS.Timeout;

  private constructor(private readonly dataSource: DataSource) {}

  /** The signal of a data source, installed as a TypeORM subscriber on first use. */
  static for(dataSource: DataSource): OutboxCommitSignal {
    let signal = signals.get(dataSource);
    if (!signal) {
      signal = new OutboxCommitSignal(dataSource);
      // subscribers are read on every commit, so one added after initialisation is heard
      (dataSource.subscribers as EntitySubscriberInterface[]).push(signal);
      signals.set(dataSource, signal);
    }
    return signal;
  }

  /** Marks the manager's transaction as one that wrote outbox rows. */
  static markWritten(manager: EntityManager): void {
    OutboxCommitSignal.for(manager.connection);
    if (manager.queryRunner) manager.queryRunner.data[WRITTEN] = true;
  }

  /** Calls `listener` after every commit that wrote outbox rows; returns the unsubscribe. */
  onCommit(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (!event.queryRunner.data?.[WRITTEN]) return;
    event.queryRunner.data[WRITTEN] = false;
    for (const listener of this.listeners) listener();
    this.notifyOthers();
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (event.queryRunner.data) event.queryRunner.data[WRITTEN] = false;
  }

  private notifyOthers(): void {
    const sinceLast = Date.now() - this.lastNotify;
    if (sinceLast >= NOTIFY_INTERVAL_MS) {
      this.send();
    } else if (!this.trailing) {
      // commits inside the interval share one trailing NOTIFY, so none goes unannounced
      this.trailing = setTimeout(() => {
        this.trailing = undefined;
        this.send();
      }, NOTIFY_INTERVAL_MS - sinceLast);
      this.trailing.unref();
    }
  }

  private send(): void {
    this.lastNotify = Date.now();
    if (!this.dataSource.isInitialized) return;
    // a lost NOTIFY only delays publishing until the relays' next poll
    this.dataSource.query(`SELECT pg_notify($1, '')`, [OUTBOX_NOTIFY_CHANNEL]).catch(() => undefined);
  }
}
