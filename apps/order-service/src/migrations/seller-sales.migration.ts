import type { MigrationInterface, QueryRunner } from 'typeorm';

/** OrderQuery.LastSales reads each seller's latest captured order: an index by seller and purchase time. */
export class OrderSellerSales1765712000000 implements MigrationInterface {
  name = 'OrderSellerSales1765712000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS orders_seller_sales ON orders (seller_id, created_at DESC) WHERE captured_amount > 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS orders_seller_sales`);
  }
}
