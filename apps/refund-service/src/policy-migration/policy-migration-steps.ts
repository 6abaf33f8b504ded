import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { crashPoint } from '@ebb/config';
import { RefundPolicyChangesAnnounced } from '@ebb/contracts';
import { addToOutbox } from '@ebb/messaging';
import { CallRefusedError, type OutboundCall, OutboundCalls, defineCall, exponentialBackoff, recordCall } from '@ebb/outbound';
import { REFUND_ENV, type RefundEnv } from '../config';
import { type CatalogueProduct, InventoryClient, InventoryRefusedError } from '../inventory/inventory.client';
import { OrderQueryClient } from '../orders/order-query.client';
import { DEFAULT_WINDOW_DAYS, type PolicySource, brokenRule } from '../policies/policy-rules';
import { type PolicyValue, lockPolicy, lockSellerPolicies, sellerRules, writePolicy } from '../policies/policy-store';
import type { Recommendation } from '../recommendation/recommender';
import { Recommender } from '../recommendation/recommender';
import { type MigrationAction, type MigrationStatus, migrationStateMachine } from './policy-migration-state';
import type { MigrationMode } from './policy-migration.schemas';

/** One step of a run: a page of the catalogue planned, the sellers ranked, a batch announced, applied or rolled back. */
export const PolicyMigrationStep = defineCall<{ runId: string; step: number }>('policy-migration.step');

/** A run as its steps read it. */
export interface RunRow {
  id: string;
  mode: MigrationMode;
  status: MigrationStatus;
  phase: 'plan' | 'rank' | 'apply' | 'rollback' | 'finished';
  seller_ids: string[] | null;
  cursor: string | null;
  step: number;
  last_action: string | null;
  counts: Record<string, number>;
  created_by: string;
  rolled_back_by: string | null;
}

/** What a step's call brought back from the outside world (nothing, for the steps that only change this database). */
type Fetched =
  | { kind: 'page'; products: (CatalogueProduct & { recommendation: Recommendation })[]; cursor: string | null }
  | { kind: 'sales'; sales: [string, string][] }
  | { kind: 'local' }
  | { kind: 'stale' };

const ACTIVE: MigrationStatus[] = ['running', 'rolling_back'];
/** A seller with a sale in this long is told before its products change. */
const RECENT_SALE = '6 months';

/** Where the plan is in the catalogue: all of it, or the sellers named, one after another. */
interface PlanCursor {
  seller: number;
  page: string | null;
}

export async function readRun(manager: EntityManager, runId: string, lock = false): Promise<RunRow | undefined> {
  const [run]: RunRow[] = await manager.query(`SELECT * FROM policy_migrations WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [runId]);
  return run;
}

/** Moves a run by its machine (IllegalTransitionError if the status does not allow it). */
export async function moveRun(manager: EntityManager, run: RunRow, action: MigrationAction, changes: Partial<Pick<RunRow, 'phase' | 'last_action'>> & { error?: string | null } = {}): Promise<MigrationStatus> {
  const status = migrationStateMachine.transition(run.status, action);
  const finished = status === 'done' || status === 'rolled_back';
  await manager.query(
    `UPDATE policy_migrations SET status = $2, phase = coalesce($3, phase), last_action = coalesce($4, last_action), error = $5, updated_at = now(),
            finished_at = CASE WHEN $6 THEN now() ELSE NULL END WHERE id = $1`,
    [run.id, status, changes.phase ?? null, changes.last_action ?? null, changes.error === undefined ? null : changes.error, finished],
  );
  run.status = status;
  return status;
}

/**
 * Runs policy migrations through the outbound-call primitive, one step after another, each step a
 * call: what it needs from other services (a page of the catalogue from inventory-service, the last
 * sales from order-service) is fetched with no transaction open, then its result is recorded, with the
 * next step, in one short transaction. A process that dies mid-run leaves its step's lease, which runs
 * out: any replica takes the run up at that step. Nothing is done twice: a step's changes and the
 * record of the next step commit together, and a product is applied (or rolled back) only while its
 * row says it has not been.
 */
@Injectable()
export class PolicyMigrationSteps implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly calls: OutboundCalls,
    private readonly recommender: Recommender,
    @Inject(InventoryClient) private readonly inventory: InventoryClient,
    @Inject(OrderQueryClient) private readonly orders: OrderQueryClient,
    @Inject(REFUND_ENV) private readonly env: RefundEnv,
  ) {}

  onModuleInit(): void {
    this.calls.handle<{ runId: string; step: number }, Fetched>(
      PolicyMigrationStep,
      {
        call: (call) => this.fetch(call),
        onResult: (manager, call, fetched) => this.record(manager, call, fetched),
        onRefused: (manager, call, error) => this.fail(manager, call, error),
        onParked: (manager, call, error) => this.fail(manager, call, error),
      },
      {
        leaseMs: this.env.POLICY_MIGRATION_LEASE_MS,
        maxAttempts: this.env.POLICY_MIGRATION_MAX_ATTEMPTS,
        backoffMs: exponentialBackoff(this.env.POLICY_MIGRATION_RETRY_MS, 60_000),
      },
    );
  }

  /** Records the next step of a run in the caller's transaction; this process makes it right after the commit. */
  static next(manager: EntityManager, runId: string, step: number) {
    return recordCall(manager, PolicyMigrationStep, `${runId}:${step}`, { runId, step }, { claim: 'on-commit' });
  }

  /** The outside world's part of a step, with no transaction open. */
  private async fetch({ payload }: OutboundCall<{ runId: string; step: number }>): Promise<Fetched> {
    const run = await readRun(this.dataSource.manager, payload.runId);
    if (!run || run.step !== payload.step || !ACTIVE.includes(run.status)) return { kind: 'stale' };
    // a test kills the process here, between two steps' commits: `after-announce-3` is after the
    // sellers of the fourth batch were told and before that batch is applied
    crashPoint(`policy-migration.after-${run.last_action ?? 'start'}-${run.counts.batches ?? 0}`);
    try {
      if (run.phase === 'plan') return await this.fetchPage(run);
      if (run.phase === 'rank') {
        const sellers: { seller_id: string }[] = await this.dataSource.query(`SELECT seller_id FROM policy_migration_sellers WHERE run_id = $1 ORDER BY seller_id`, [run.id]);
        const sales = await this.orders.lastSales(sellers.map((seller) => seller.seller_id));
        return { kind: 'sales', sales: [...sales] };
      }
    } catch (error) {
      // asking again cannot help a refusal (a seller id inventory-service will not take, a token it refuses)
      if (error instanceof InventoryRefusedError) throw new CallRefusedError(error.message);
      throw error;
    }
    return { kind: 'local' };
  }

  private async fetchPage(run: RunRow): Promise<Fetched> {
    const at: PlanCursor = run.cursor ? JSON.parse(run.cursor) : { seller: 0, page: null };
    const sellerId = run.seller_ids?.[at.seller];
    if (run.seller_ids && sellerId === undefined) return { kind: 'page', products: [], cursor: null };
    const page = await this.inventory.page({ sellerId, cursor: at.page });
    const next: PlanCursor | null = page.nextCursor
      ? { seller: at.seller, page: page.nextCursor }
      : run.seller_ids && at.seller + 1 < run.seller_ids.length
        ? { seller: at.seller + 1, page: null }
        : null;
    return {
      kind: 'page',
      products: page.items.map((product) => ({ ...product, recommendation: this.recommender.recommend(product) })),
      cursor: next && JSON.stringify(next),
    };
  }

  /** A step's own transaction: its changes, the run moved on, and the next step recorded. */
  private async record(manager: EntityManager, { payload }: OutboundCall<{ runId: string; step: number }>, fetched: Fetched): Promise<void> {
    if (fetched.kind === 'stale') return;
    const run = await readRun(manager, payload.runId, true);
    if (!run || run.step !== payload.step || !ACTIVE.includes(run.status)) return;
    let more = true;
    if (run.phase === 'plan' && fetched.kind === 'page') {
      await this.plan(manager, run, fetched.products);
      await manager.query(`UPDATE policy_migrations SET cursor = $2, phase = CASE WHEN $2::text IS NULL THEN 'rank' ELSE phase END, last_action = 'plan' WHERE id = $1`, [run.id, fetched.cursor]);
    } else if (run.phase === 'rank' && fetched.kind === 'sales') {
      await this.rank(manager, run, fetched.sales);
      if (run.mode === 'dry_run') {
        await moveRun(manager, run, 'finish', { phase: 'finished', last_action: 'rank' });
        more = false;
      } else {
        await manager.query(`UPDATE policy_migrations SET phase = 'apply', last_action = 'rank' WHERE id = $1`, [run.id]);
      }
    } else if (run.phase === 'apply') {
      more = await this.applyNext(manager, run);
    } else if (run.phase === 'rollback') {
      more = await this.rollBackNext(manager, run);
    }
    await manager.query(`UPDATE policy_migrations SET step = step + 1, updated_at = now() WHERE id = $1`, [run.id]);
    if (more) await PolicyMigrationSteps.next(manager, run.id, run.step + 1);
  }

  /** A page of the catalogue into the report: each product's window now, the one recommended, and what to do. */
  private async plan(manager: EntityManager, run: RunRow, products: (CatalogueProduct & { recommendation: Recommendation })[]): Promise<void> {
    if (products.length === 0) return;
    const sellerIds = [...new Set(products.map((product) => product.sellerId))];
    const policies: { scope: string; scope_id: string; window_days: number; min_window_days: number | null; max_window_days: number | null; allow_no_refunds: boolean | null }[] =
      await manager.query(
        `SELECT scope, scope_id, window_days, min_window_days, max_window_days, allow_no_refunds FROM refund_policies
          WHERE (scope = 'product' AND scope_id = ANY($1::text[])) OR (scope = 'seller' AND scope_id = ANY($2::text[]))`,
        [products.map((product) => product.id), sellerIds],
      );
    const own = new Map(policies.filter((policy) => policy.scope === 'product').map((policy) => [policy.scope_id, policy.window_days]));
    const sellers = new Map(policies.filter((policy) => policy.scope === 'seller').map((policy) => [policy.scope_id, policy]));
    const rows = products.map((product) => {
      const seller = sellers.get(product.sellerId);
      const ownWindow = own.get(product.id);
      const [current, source]: [number, PolicySource] =
        ownWindow !== undefined ? [ownWindow, 'product'] : seller ? [seller.window_days, 'seller'] : [DEFAULT_WINDOW_DAYS, 'default'];
      const { recommendation } = product;
      const rules = { minWindowDays: seller?.min_window_days ?? null, maxWindowDays: seller?.max_window_days ?? null, allowNoRefunds: seller?.allow_no_refunds ?? null };
      // a window the shop chose, an unsure guess, or no difference: nothing to set
      const conflictRule = brokenRule(recommendation.windowDays, rules);
      const action = ownWindow !== undefined || recommendation.rule === 'fallback' || recommendation.windowDays === current ? 'keep' : conflictRule ? 'conflict' : 'set';
      return { product, current, source, action, conflictRule: action === 'conflict' ? conflictRule : null };
    });
    await manager.query(
      `INSERT INTO policy_migration_items
         (run_id, product_id, seller_id, title, current_window_days, current_source, recommended_window_days, confidence, rule, keywords, action, conflict_rule)
       SELECT $1, p.product_id, p.seller_id, p.title, p.current, p.source, p.recommended, p.confidence, p.rule, ARRAY(SELECT jsonb_array_elements_text(p.keywords)), p.action, p.conflict_rule
         FROM jsonb_to_recordset($2::jsonb) AS p(product_id text, seller_id text, title text, current int, source text, recommended int, confidence numeric, rule text, keywords jsonb, action text, conflict_rule text)
       ON CONFLICT (run_id, product_id) DO NOTHING`,
      [
        run.id,
        JSON.stringify(
          rows.map(({ product, current, source, action, conflictRule }) => ({
            product_id: product.id,
            seller_id: product.sellerId,
            title: product.title,
            current,
            source,
            recommended: product.recommendation.windowDays,
            confidence: product.recommendation.confidence,
            rule: product.recommendation.rule,
            keywords: product.recommendation.keywords,
            action,
            conflict_rule: conflictRule,
          })),
        ),
      ],
    );
    await manager.query(
      `INSERT INTO policy_migration_sellers (run_id, seller_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
      [run.id, sellerIds],
    );
  }

  /**
   * The sellers in the order their products change: most recent sale first (order-service's answer),
   * those with none last. A seller is told first when it sold in the last 6 months, is registered
   * (its e-mail is known) and has products to change.
   */
  private async rank(manager: EntityManager, run: RunRow, sales: [string, string][]): Promise<void> {
    await manager.query(
      `UPDATE policy_migration_sellers s SET last_sale_at = v.at FROM unnest($2::text[], $3::timestamptz[]) AS v(seller_id, at)
        WHERE s.run_id = $1 AND s.seller_id = v.seller_id`,
      [run.id, sales.map(([sellerId]) => sellerId), sales.map(([, at]) => at)],
    );
    await manager.query(
      `WITH ranked AS (
         SELECT seller_id, row_number() OVER (ORDER BY last_sale_at DESC NULLS LAST, seller_id) AS rank FROM policy_migration_sellers WHERE run_id = $1
       )
       UPDATE policy_migration_sellers s
          SET rank = ranked.rank,
              announce = coalesce(s.last_sale_at >= now() - interval '${RECENT_SALE}', false)
                     AND EXISTS (SELECT 1 FROM sellers r WHERE r.seller_id = s.seller_id)
                     AND EXISTS (SELECT 1 FROM policy_migration_items i WHERE i.run_id = s.run_id AND i.seller_id = s.seller_id AND i.action = 'set')
         FROM ranked WHERE s.run_id = $1 AND s.seller_id = ranked.seller_id`,
      [run.id],
    );
    await manager.query(
      `UPDATE policy_migrations SET counts = (
         SELECT jsonb_build_object(
           'products', count(*), 'set', count(*) FILTER (WHERE action = 'set'), 'keep', count(*) FILTER (WHERE action = 'keep'),
           'conflict', count(*) FILTER (WHERE action = 'conflict'),
           'sellers', (SELECT count(*) FROM policy_migration_sellers WHERE run_id = $1),
           'sellersToTell', (SELECT count(*) FROM policy_migration_sellers WHERE run_id = $1 AND announce),
           'sellersTold', 0, 'batches', 0, 'applied', 0, 'skipped', 0)
           FROM policy_migration_items WHERE run_id = $1)
        WHERE id = $1`,
      [run.id],
    );
  }

  /**
   * The next batch: if one of its sellers must be told and has not been, that seller is told now (its
   * announcement committed before any of its products changes, once per seller and run); otherwise
   * the batch is applied, each product within its seller's rules at this moment, a product that got a
   * window of its own meanwhile left alone. Answers whether more steps follow.
   */
  private async applyNext(manager: EntityManager, run: RunRow): Promise<boolean> {
    const batch: { product_id: string; seller_id: string; recommended_window_days: number; announce: boolean; announced_at: Date | null }[] = await manager.query(
      `SELECT i.product_id, i.seller_id, i.recommended_window_days, s.announce, s.announced_at
         FROM policy_migration_items i JOIN policy_migration_sellers s USING (run_id, seller_id)
        WHERE i.run_id = $1 AND i.action = 'set' AND i.outcome IS NULL
        ORDER BY s.rank, i.product_id LIMIT $2`,
      [run.id, this.env.POLICY_MIGRATION_BATCH_SIZE],
    );
    if (batch.length === 0) {
      await moveRun(manager, run, 'finish', { phase: 'finished' });
      return false;
    }
    const untold = [...new Set(batch.filter((item) => item.announce && !item.announced_at).map((item) => item.seller_id))];
    if (untold.length > 0) {
      for (const sellerId of untold) {
        const changes: { product_id: string; title: string; current_window_days: number; current_source: PolicySource; recommended_window_days: number }[] = await manager.query(
          `SELECT product_id, title, current_window_days, current_source, recommended_window_days FROM policy_migration_items
            WHERE run_id = $1 AND seller_id = $2 AND action = 'set' ORDER BY product_id`,
          [run.id, sellerId],
        );
        await addToOutbox(manager, RefundPolicyChangesAnnounced, {
          runId: run.id,
          sellerId,
          changes: changes.map((change) => ({
            productId: change.product_id,
            title: change.title,
            oldWindowDays: change.current_window_days,
            oldSource: change.current_source,
            newWindowDays: change.recommended_window_days,
          })),
        });
      }
      await manager.query(`UPDATE policy_migration_sellers SET announced_at = now() WHERE run_id = $1 AND seller_id = ANY($2::text[]) AND announced_at IS NULL`, [run.id, untold]);
      await this.count(manager, run, { sellersTold: untold.length }, 'announce');
      return true;
    }

    // every seller's policies locked in one order (a PUT locks one seller: no deadlock)
    for (const sellerId of [...new Set(batch.map((item) => item.seller_id))].sort()) await lockSellerPolicies(manager, sellerId);
    const outcomes = { applied: 0, skipped: 0 };
    for (const item of batch) {
      const rule = brokenRule(item.recommended_window_days, await sellerRules(manager, item.seller_id));
      const own = await lockPolicy(manager, 'product', item.product_id);
      let outcome: 'applied' | 'conflict' | 'changed_since_plan';
      if (own) outcome = 'changed_since_plan';
      else if (rule) outcome = 'conflict';
      else {
        await writePolicy(manager, { scope: 'product', scopeId: item.product_id, sellerId: item.seller_id }, { windowDays: item.recommended_window_days }, { actor: run.created_by, runId: run.id });
        outcome = 'applied';
      }
      outcomes[outcome === 'applied' ? 'applied' : 'skipped']++;
      await manager.query(
        `UPDATE policy_migration_items SET outcome = $3, conflict_rule = coalesce($4, conflict_rule), previous = NULL, applied_at = now() WHERE run_id = $1 AND product_id = $2`,
        [run.id, item.product_id, outcome, outcome === 'conflict' ? rule : null],
      );
    }
    await this.count(manager, run, { ...outcomes, batches: 1 }, 'apply');
    return true;
  }

  /**
   * The next batch of a rollback: each product the run set gets back exactly what it had (no window
   * of its own, or the one before), unless someone changed it since the run (its last change is not
   * the run's): that one is left as it is. Answers whether more steps follow.
   */
  private async rollBackNext(manager: EntityManager, run: RunRow): Promise<boolean> {
    const batch: { product_id: string; seller_id: string; previous: PolicyValue | null }[] = await manager.query(
      `SELECT product_id, seller_id, previous FROM policy_migration_items
        WHERE run_id = $1 AND outcome = 'applied' AND rolled_back_at IS NULL ORDER BY product_id LIMIT $2`,
      [run.id, this.env.POLICY_MIGRATION_BATCH_SIZE],
    );
    if (batch.length === 0) {
      await moveRun(manager, run, 'finish_rollback', { phase: 'finished' });
      return false;
    }
    for (const sellerId of [...new Set(batch.map((item) => item.seller_id))].sort()) await lockSellerPolicies(manager, sellerId);
    const outcomes = { restored: 0, keptChanged: 0 };
    for (const item of batch) {
      const [last]: { run_id: string | null }[] = await manager.query(
        `SELECT run_id FROM refund_policy_changes WHERE scope = 'product' AND scope_id = $1 ORDER BY at DESC, id DESC LIMIT 1`,
        [item.product_id],
      );
      const ours = last?.run_id === run.id;
      if (ours) {
        await writePolicy(manager, { scope: 'product', scopeId: item.product_id, sellerId: item.seller_id }, item.previous, {
          actor: run.rolled_back_by ?? run.created_by,
          runId: run.id,
          reason: 'rollback',
        });
      }
      outcomes[ours ? 'restored' : 'keptChanged']++;
      await manager.query(`UPDATE policy_migration_items SET rollback_outcome = $3, rolled_back_at = now() WHERE run_id = $1 AND product_id = $2`, [
        run.id,
        item.product_id,
        ours ? 'restored' : 'changed_since',
      ]);
    }
    await this.count(manager, run, outcomes, 'rollback');
    return true;
  }

  private async count(manager: EntityManager, run: RunRow, add: Record<string, number>, action: string): Promise<void> {
    const counts = { ...run.counts };
    for (const [key, value] of Object.entries(add)) counts[key] = (counts[key] ?? 0) + value;
    await manager.query(`UPDATE policy_migrations SET counts = $2::jsonb, last_action = $3 WHERE id = $1`, [run.id, JSON.stringify(counts), action]);
    run.counts = counts;
  }

  /** A step that cannot be made (refused, or every attempt failed): the run fails with the reason, and waits for a resume. */
  private async fail(manager: EntityManager, { payload }: OutboundCall<{ runId: string; step: number }>, error: Error): Promise<void> {
    const run = await readRun(manager, payload.runId, true);
    if (!run || run.step !== payload.step || !ACTIVE.includes(run.status)) return;
    await moveRun(manager, run, 'fail', { error: error.message.slice(0, 2000) });
  }
}
