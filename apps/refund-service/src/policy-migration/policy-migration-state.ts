import { type ActionTable, StateMachine } from '@ebb/state-machine';

/** Where a policy migration run stands (api-v1: running, done, failed, rolled_back; and rolling_back on the way there). */
export const MIGRATION_STATUSES = ['running', 'done', 'failed', 'rolling_back', 'rolled_back'] as const;
export type MigrationStatus = (typeof MIGRATION_STATUSES)[number];

export type MigrationAction = 'finish' | 'fail' | 'resume' | 'resume_rollback' | 'roll_back' | 'finish_rollback';

/**
 * A run's lifecycle as one action table: it plans (and, applying, changes windows) until done; a step
 * that cannot be made fails it, and a resume takes it up where it stopped; a rollback of an apply
 * restores what it changed, and may fail and resume the same way.
 */
export const MIGRATION_ACTIONS: ActionTable<MigrationStatus, MigrationAction> = {
  finish: { from: ['running'], to: 'done' },
  fail: { from: ['running', 'rolling_back'], to: 'failed' },
  resume: { from: ['failed'], to: 'running' },
  resume_rollback: { from: ['failed'], to: 'rolling_back' },
  roll_back: { from: ['done', 'failed'], to: 'rolling_back' },
  finish_rollback: { from: ['rolling_back'], to: 'rolled_back' },
};

/** Built (and so checked) when the module loads. */
export const migrationStateMachine = StateMachine.fromActions<MigrationStatus, MigrationAction>('policy-migration', MIGRATION_STATUSES, MIGRATION_ACTIONS);
