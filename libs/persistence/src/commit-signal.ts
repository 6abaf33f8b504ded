import type { DataSource, EntityManager, EntitySubscriberInterface, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';

const signals = new WeakMap<DataSource, Map<string, CommitSignal>>();

/**
 * Tells the loops of this process that a transaction which wrote their kind of row has committed
 * (never before: the row must be visible, and a rolled-back transaction must wake nobody). A writer
 * marks its transaction with `mark(manager)`; a loop (outbox relay, mail sender, refund dispatcher)
 * listens with `onCommit`. Other processes find the rows by polling, or by a NOTIFY of their own.
 */
export class CommitSignal implements EntitySubscriberInterface {
  private readonly listeners = new Set<(values: unknown[]) => void>();
  private readonly key: string;

  private constructor(name: string) {
    this.key = `ebb:commit-signal:${name}`;
  }

  /** The signal named `name` on a data source, installed as a TypeORM subscriber on first use. */
  static for(dataSource: DataSource, name: string): CommitSignal {
    let named = signals.get(dataSource);
    if (!named) {
      named = new Map();
      signals.set(dataSource, named);
    }
    let signal = named.get(name);
    if (!signal) {
      signal = new CommitSignal(name);
      // subscribers are read on every commit, so one added after initialisation is heard
      (dataSource.subscribers as EntitySubscriberInterface[]).push(signal);
      named.set(name, signal);
    }
    return signal;
  }

  /** Marks the manager's transaction: its commit will call the listeners, with every `value` marked in it. */
  mark(manager: EntityManager, value?: unknown): void {
    if (!manager.queryRunner) return;
    const data = manager.queryRunner.data as Record<string, unknown[] | undefined>;
    const values = (data[this.key] ??= []);
    if (value !== undefined) values.push(value);
  }

  /** Calls `listener` after every commit of a marked transaction (with the values marked in it); returns the unsubscribe. */
  onCommit(listener: (values: unknown[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const values = event.queryRunner.data?.[this.key] as unknown[] | undefined;
    if (!values) return;
    event.queryRunner.data[this.key] = undefined;
    for (const listener of this.listeners) listener(values);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (event.queryRunner.data) event.queryRunner.data[this.key] = undefined;
  }
}
