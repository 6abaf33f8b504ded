import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The goods a refund covers (held back from shipping, restocked on success) and those that came back. */
export class RefundsGoods1765100000000 implements MigrationInterface {
  name = 'RefundsGoods1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refunds ADD COLUMN goods jsonb NOT NULL DEFAULT '[]'::jsonb, ADD COLUMN returned jsonb`);
    // refunds from before: a line refund covers its lines
    await q.query(`UPDATE refunds SET goods = items WHERE items IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refunds DROP COLUMN goods, DROP COLUMN returned`);
  }
}
