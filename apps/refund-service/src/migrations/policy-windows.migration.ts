import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refund windows per product with rules around them (issue 12): a seller's rules (minimum, maximum,
 * whether a product may have no refunds), who changed a policy, every change kept with its old and
 * new value (so the window in force at any past time is known), the sellers' registration times,
 * the per-product rollout flag with its history, and the policy migration runs.
 * Additive only: new columns and new tables.
 */
export class RefundPolicyWindows1765712000000 implements MigrationInterface {
  name = 'RefundPolicyWindows1765712000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE refund_policies
        ADD COLUMN seller_id text,
        ADD COLUMN min_window_days int CHECK (min_window_days >= 0),
        ADD COLUMN max_window_days int CHECK (max_window_days >= 0),
        ADD COLUMN allow_no_refunds boolean,
        ADD COLUMN updated_by text,
        ADD CONSTRAINT refund_policies_min_within_max CHECK (min_window_days IS NULL OR max_window_days IS NULL OR min_window_days <= max_window_days)`);
    await q.query(`CREATE INDEX refund_policies_products_of_seller ON refund_policies (seller_id) WHERE scope = 'product'`);

    // every change of a policy: null old_value is "none before", null new_value "removed"
    await q.query(`
      CREATE TABLE refund_policy_changes (
        id bigserial PRIMARY KEY,
        scope text NOT NULL CHECK (scope IN ('product', 'seller')),
        scope_id text NOT NULL,
        seller_id text,
        old_value jsonb,
        new_value jsonb,
        actor text NOT NULL,
        reason text,
        run_id text,
        at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX refund_policy_changes_target ON refund_policy_changes (scope, scope_id, at DESC, id DESC)`);
    await q.query(`CREATE INDEX refund_policy_changes_seller ON refund_policy_changes (seller_id, id)`);
    await q.query(`CREATE INDEX refund_policy_changes_run ON refund_policy_changes (run_id, id) WHERE run_id IS NOT NULL`);
    // the policies set before changes were kept: each as its first change, at the time it was set
    await q.query(`
      INSERT INTO refund_policy_changes (scope, scope_id, old_value, new_value, actor, at)
      SELECT scope, scope_id, NULL, jsonb_build_object('windowDays', window_days), 'unknown', updated_at FROM refund_policies`);

    // what refund-service keeps of sellers (inventory.seller_updated): when they registered
    await q.query(`
      CREATE TABLE sellers (
        seller_id text PRIMARY KEY,
        registered_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);

    await q.query(`
      CREATE TABLE feature_flags (
        key text PRIMARY KEY,
        mode text NOT NULL CHECK (mode IN ('off', 'new_sellers', 'percentage', 'all')),
        percentage int CHECK (percentage BETWEEN 0 AND 100),
        set_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        updated_by text NOT NULL
      )`);
    await q.query(`
      CREATE TABLE feature_flag_changes (
        id bigserial PRIMARY KEY,
        key text NOT NULL,
        mode text NOT NULL,
        percentage int,
        set_at timestamptz NOT NULL,
        actor text NOT NULL,
        at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX feature_flag_changes_key ON feature_flag_changes (key, at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE policy_migrations (
        id text PRIMARY KEY,
        mode text NOT NULL CHECK (mode IN ('dry_run', 'apply')),
        status text NOT NULL CHECK (status IN ('running', 'done', 'failed', 'rolling_back', 'rolled_back')),
        phase text NOT NULL CHECK (phase IN ('plan', 'rank', 'apply', 'rollback', 'finished')),
        seller_ids text[],
        cursor text,
        step int NOT NULL DEFAULT 1,
        last_action text,
        counts jsonb NOT NULL DEFAULT '{}'::jsonb,
        error text,
        created_by text NOT NULL,
        rolled_back_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    // one apply or rollback at a time
    await q.query(`CREATE UNIQUE INDEX policy_migrations_one_changing ON policy_migrations ((true)) WHERE mode = 'apply' AND status IN ('running', 'rolling_back')`);
    await q.query(`
      CREATE TABLE policy_migration_sellers (
        run_id text NOT NULL REFERENCES policy_migrations (id),
        seller_id text NOT NULL,
        last_sale_at timestamptz,
        rank int,
        announce boolean NOT NULL DEFAULT false,
        announced_at timestamptz,
        PRIMARY KEY (run_id, seller_id)
      )`);
    await q.query(`
      CREATE TABLE policy_migration_items (
        run_id text NOT NULL REFERENCES policy_migrations (id),
        product_id text NOT NULL,
        seller_id text NOT NULL,
        title text NOT NULL,
        current_window_days int NOT NULL,
        current_source text NOT NULL CHECK (current_source IN ('product', 'seller', 'default')),
        recommended_window_days int NOT NULL,
        confidence numeric(4, 3) NOT NULL,
        rule text NOT NULL,
        keywords text[] NOT NULL,
        action text NOT NULL CHECK (action IN ('set', 'keep', 'conflict')),
        conflict_rule text,
        outcome text CHECK (outcome IN ('applied', 'conflict', 'changed_since_plan')),
        previous jsonb,
        applied_at timestamptz,
        rollback_outcome text CHECK (rollback_outcome IN ('restored', 'changed_since')),
        rolled_back_at timestamptz,
        PRIMARY KEY (run_id, product_id)
      )`);
    await q.query(`CREATE INDEX policy_migration_items_to_apply ON policy_migration_items (run_id, seller_id) WHERE action = 'set' AND outcome IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE policy_migration_items, policy_migration_sellers, policy_migrations, feature_flag_changes, feature_flags, sellers, refund_policy_changes`);
    await q.query(`DROP INDEX refund_policies_products_of_seller`);
    await q.query(`
      ALTER TABLE refund_policies DROP CONSTRAINT refund_policies_min_within_max,
        DROP COLUMN seller_id, DROP COLUMN min_window_days, DROP COLUMN max_window_days, DROP COLUMN allow_no_refunds, DROP COLUMN updated_by`);
  }
}
