import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The steps a refund passed that no event has told yet (a transaction waiting on a call it made announces them with its result). */
export class RefundsUnannounced1765500000000 implements MigrationInterface {
  name = 'RefundsUnannounced1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refunds ADD COLUMN unannounced jsonb NOT NULL DEFAULT '[]'::jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refunds DROP COLUMN unannounced`);
  }
}
