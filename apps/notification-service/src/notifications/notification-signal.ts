import type { DataSource, EntityManager, EntitySubscriberInterface, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';

const WRITTEN = 'ebb:notification-written';
const signals = new WeakMap<DataSource, NotificationCommitSignal>();

/**
 * Wakes the sender after a transaction that queued notifications commits (never before: the row
 * must be visible, and a rolled-back handler must send nothing). Other replicas find rows by polling.
 */
export class NotificationCommitSignal implements EntitySubscriberInterface {
  private readonly listeners = new Set<() => void>();

  static for(dataSource: DataSource): NotificationCommitSignal {
    let signal = signals.get(dataSource);
    if (!signal) {
      signal = new NotificationCommitSignal();
      // subscribers are read on every commit, so one added after initialisation is heard
      (dataSource.subscribers as EntitySubscriberInterface[]).push(signal);
      signals.set(dataSource, signal);
    }
    return signal;
  }

  /** Marks the manager's transaction as one that queued notifications. */
  static markWritten(manager: EntityManager): void {
    NotificationCommitSignal.for(manager.connection);
    if (manager.queryRunner) manager.queryRunner.data[WRITTEN] = true;
  }

  onCommit(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (!event.queryRunner.data?.[WRITTEN]) return;
    event.queryRunner.data[WRITTEN] = false;
    for (const listener of this.listeners) listener();
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (event.queryRunner.data) event.queryRunner.data[WRITTEN] = false;
  }
}
