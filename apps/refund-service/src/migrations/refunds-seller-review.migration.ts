import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The order's seller on each refund, and whether that seller reviews it by hand: a refund waiting in
 * `pending_review` for its seller tells notification-service to write to the seller.
 */
export class RefundsSellerReview1766400000000 implements MigrationInterface {
  name = 'RefundsSellerReview1766400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refunds ADD COLUMN seller_id text, ADD COLUMN seller_review boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refunds DROP COLUMN seller_id, DROP COLUMN seller_review`);
  }
}
