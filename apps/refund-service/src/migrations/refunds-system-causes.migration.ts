import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refunds the system starts for a cause (a duplicate capture, money taken for a cancelled order):
 * each cause refunds once, however often it is seen. A refund of a duplicate pays back that payment,
 * on a ledger of its own (`payment:<id>`), never out of what the order itself can refund.
 */
export class RefundsSystemCauses1765200000000 implements MigrationInterface {
  name = 'RefundsSystemCauses1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refunds ADD COLUMN payment_id text, ADD COLUMN cause text`);
    await q.query(`CREATE UNIQUE INDEX refunds_one_per_cause ON refunds (cause) WHERE cause IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX refunds_one_per_cause`);
    await q.query(`ALTER TABLE refunds DROP COLUMN payment_id, DROP COLUMN cause`);
  }
}
