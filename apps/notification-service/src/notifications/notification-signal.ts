import type { DataSource } from 'typeorm';
import { CommitSignal } from '@ebb/persistence';

/**
 * Wakes the sender after a transaction that queued notifications commits (never before: the row
 * must be visible, and a rolled-back handler must send nothing). Other replicas find rows by polling.
 */
export const notificationCommits = (dataSource: DataSource): CommitSignal => CommitSignal.for(dataSource, 'notifications');
