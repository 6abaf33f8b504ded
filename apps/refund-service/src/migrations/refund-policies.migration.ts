import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Refund windows per product and per seller. */
export class RefundPolicies1764300000100 implements MigrationInterface {
  name = 'RefundPolicies1764300000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE refund_policies (
        scope text NOT NULL CHECK (scope IN ('product', 'seller')),
        scope_id text NOT NULL,
        window_days int NOT NULL CHECK (window_days >= 0),
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (scope, scope_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE refund_policies`);
  }
}
