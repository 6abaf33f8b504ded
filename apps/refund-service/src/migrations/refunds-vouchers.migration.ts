import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A succeeded refund's voucher: its SHA-256 and where it is kept in object storage, once stored. */
export class RefundsVouchers1765600000000 implements MigrationInterface {
  name = 'RefundsVouchers1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refunds ADD COLUMN voucher_sha256 text, ADD COLUMN voucher_key text, ADD COLUMN voucher_stored_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refunds DROP COLUMN voucher_sha256, DROP COLUMN voucher_key, DROP COLUMN voucher_stored_at`);
  }
}
