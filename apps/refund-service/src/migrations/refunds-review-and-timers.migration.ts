import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 13: a seller's review (`automatic`, as before, or `manual`: refunds wait for the seller or
 * support, approved by the system when nobody decided in time); on each refund, when that happens,
 * when it broke the first-decision promise (REFUND_SLA_HOURS), and the customer's language.
 */
export class RefundsReviewAndTimers1766200000000 implements MigrationInterface {
  name = 'RefundsReviewAndTimers1766200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refund_policies ADD COLUMN review text CHECK (review IN ('automatic', 'manual'))`);
    await q.query(`
      ALTER TABLE refunds
        ADD COLUMN locale text NOT NULL DEFAULT 'en',
        ADD COLUMN auto_approve_at timestamptz,
        ADD COLUMN sla_breached_at timestamptz`);
    // the SLA gauge's one question: the oldest request still waiting for a first decision
    await q.query(`CREATE INDEX refunds_undecided ON refunds (created_at) WHERE status IN ('requested', 'pending_review')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX refunds_undecided`);
    await q.query(`ALTER TABLE refunds DROP COLUMN locale, DROP COLUMN auto_approve_at, DROP COLUMN sla_breached_at`);
    await q.query(`ALTER TABLE refund_policies DROP COLUMN review`);
  }
}
