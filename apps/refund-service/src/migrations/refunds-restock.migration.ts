import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Refunds of shipped orders: whether the goods came back (intercepted, or returned and passed inspection). */
export class RefundsRestock1765000000000 implements MigrationInterface {
  name = 'RefundsRestock1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refunds ADD COLUMN restock boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refunds DROP COLUMN restock`);
  }
}
