import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { newId } from '@ebb/contracts';
import { type Principal, recordIdempotentEffect } from '@ebb/http';
import { retryParkedCall } from '@ebb/outbound';
import { IllegalTransitionError } from '@ebb/state-machine';
import { RefundErrorCode, refundError } from '../refunds/refund-errors';
import { actorOf } from '../refunds/refund-unit-of-work';
import type { PolicySource } from '../policies/policy-rules';
import type { MigrationAction } from './policy-migration-state';
import { PolicyMigrationStep, PolicyMigrationSteps, type RunRow, moveRun, readRun } from './policy-migration-steps';
import type { CreateMigration, MigrationRunView, MigrationView, ReportRow } from './policy-migration.schemas';

const UNIQUE_VIOLATION = '23505';

interface ItemRow {
  product_id: string;
  seller_id: string;
  title: string;
  current_window_days: number;
  current_source: PolicySource;
  recommended_window_days: number;
  confidence: string;
  rule: string;
  keywords: string[];
  action: ReportRow['action'];
  conflict_rule: string | null;
  outcome: ReportRow['outcome'] | null;
  rollback_outcome: ReportRow['rolledBack'] | null;
}

const reportRow = (item: ItemRow): ReportRow => ({
  productId: item.product_id,
  sellerId: item.seller_id,
  title: item.title,
  currentWindowDays: item.current_window_days,
  currentSource: item.current_source,
  recommendedWindowDays: item.recommended_window_days,
  confidence: Number(item.confidence),
  reason: { rule: item.rule, keywords: item.keywords },
  action: item.action,
  ...(item.conflict_rule ? { conflictRule: item.conflict_rule } : {}),
  ...(item.outcome ? { outcome: item.outcome } : {}),
  ...(item.rollback_outcome ? { rolledBack: item.rollback_outcome } : {}),
});

const runView = (run: Pick<RunRow, 'id' | 'mode' | 'status'>): MigrationRunView => ({ id: run.id, mode: run.mode, status: run.status });

/**
 * Policy migration runs (admin): started as a dry run (a report, nothing changed) or an apply, read
 * with their report, resumed after a failure, rolled back. The work itself is PolicyMigrationSteps'.
 */
@Injectable()
export class PolicyMigrations {
  constructor(private readonly dataSource: DataSource) {}

  /** A new run, its first step recorded with it; one apply (or rollback) at a time (409 `policy_migration_in_progress`). */
  async start(body: CreateMigration, principal: Principal): Promise<MigrationRunView> {
    const id = newId('pmr');
    return this.oneAtATime(() =>
      this.dataSource.transaction(async (manager) => {
        await manager.query(
          `INSERT INTO policy_migrations (id, mode, status, phase, seller_ids, step, created_by) VALUES ($1, $2, 'running', 'plan', $3, 1, $4)`,
          [id, body.mode, body.sellerIds ?? null, actorOf(principal)],
        );
        await PolicyMigrationSteps.next(manager, id, 1);
        const view = runView({ id, mode: body.mode, status: 'running' });
        await recordIdempotentEffect(manager, `policy-migration:${id}`, view);
        return view;
      }),
    );
  }

  async get(id: string): Promise<MigrationView> {
    const [run]: (RunRow & { error: string | null; created_at: Date; updated_at: Date; finished_at: Date | null })[] = await this.dataSource.query(`SELECT * FROM policy_migrations WHERE id = $1`, [id]);
    if (!run) throw notFound(id);
    // sellers by their last sale (ranked once the plan is complete; by id before), then products by id
    const items: ItemRow[] = await this.dataSource.query(
      `SELECT i.* FROM policy_migration_items i JOIN policy_migration_sellers s USING (run_id, seller_id)
        WHERE i.run_id = $1 ORDER BY s.rank NULLS LAST, i.seller_id, i.product_id`,
      [id],
    );
    return {
      ...runView(run),
      sellerIds: run.seller_ids,
      counts: run.counts,
      error: run.error,
      createdBy: run.created_by,
      createdAt: run.created_at.toISOString(),
      updatedAt: run.updated_at.toISOString(),
      finishedAt: run.finished_at?.toISOString() ?? null,
      report: items.map(reportRow),
    };
  }

  /**
   * Takes a failed run up where it stopped (its parked step is tried again, or a new one recorded).
   * A run still running or rolling back goes on by itself (a step whose process died is taken up once
   * its lease runs out): resuming it changes nothing.
   */
  async resume(id: string): Promise<MigrationRunView> {
    return this.oneAtATime(() => this.dataSource.transaction(async (manager) => {
      const run = await this.lockRun(manager, id);
      if (run.status === 'running' || run.status === 'rolling_back') return runView(run);
      await this.move(manager, run, run.phase === 'rollback' ? 'resume_rollback' : 'resume');
      await this.continueRun(manager, run);
      return runView(run);
    }));
  }

  /** Rolls an apply back: every window it set goes back to what it was, and only those (409 for a dry run or a running apply). */
  async rollBack(id: string, principal: Principal): Promise<MigrationRunView> {
    return this.oneAtATime(() => this.dataSource.transaction(async (manager) => {
      const run = await this.lockRun(manager, id);
      if (run.mode === 'dry_run') {
        throw refundError(RefundErrorCode.InvalidMigrationTransition, 'A dry run changed nothing: there is nothing to roll back.', { from: run.status, action: 'roll_back' });
      }
      await this.move(manager, run, 'roll_back');
      await manager.query(`UPDATE policy_migrations SET phase = 'rollback', rolled_back_by = $2 WHERE id = $1`, [id, actorOf(principal)]);
      run.phase = 'rollback';
      await this.continueRun(manager, run);
      return runView(run);
    }));
  }

  /** Two applies (or rollbacks) at once would change the same products: the database lets one through (409 for the other). */
  private async oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
      const [busy]: { id: string }[] = await this.dataSource.query(`SELECT id FROM policy_migrations WHERE mode = 'apply' AND status IN ('running', 'rolling_back')`);
      throw refundError(RefundErrorCode.PolicyMigrationInProgress, 'Another policy migration is changing windows; wait for it to end, or roll it back.', { runId: busy?.id ?? null });
    }
  }

  /** The run's step again: its parked call tried anew, or (refused, or never recorded) a new step. */
  private async continueRun(manager: EntityManager, run: RunRow): Promise<void> {
    const retried = await retryParkedCall(manager, { kinds: [PolicyMigrationStep.kind], key: `${run.id}:${run.step}` });
    if (retried) return;
    await manager.query(`UPDATE policy_migrations SET step = step + 1 WHERE id = $1`, [run.id]);
    await PolicyMigrationSteps.next(manager, run.id, run.step + 1);
  }

  private async lockRun(manager: EntityManager, id: string): Promise<RunRow> {
    const run = await readRun(manager, id, true);
    if (!run) throw notFound(id);
    return run;
  }

  private async move(manager: EntityManager, run: RunRow, action: MigrationAction): Promise<void> {
    try {
      await moveRun(manager, run, action, { error: null });
    } catch (error) {
      if (!(error instanceof IllegalTransitionError)) throw error;
      throw refundError(RefundErrorCode.InvalidMigrationTransition, `A ${run.status} policy migration cannot ${action.replace('_', ' ')}.`, { from: run.status, action });
    }
  }
}

const notFound = (id: string) => refundError(RefundErrorCode.PolicyMigrationNotFound, `No policy migration ${id}.`);
