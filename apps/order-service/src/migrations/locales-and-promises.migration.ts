import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 13: the customer's language on the order; the moment its promised shipping date passed
 * unshipped (the system refunds it once); what came back of each shipped line (the order is
 * `returned` once all of it did); the lines an admin flagged as sold at a wrong price (each once).
 */
export class OrderLocalesAndPromises1766100000000 implements MigrationInterface {
  name = 'OrderLocalesAndPromises1766100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders ADD COLUMN locale text NOT NULL DEFAULT 'en' CHECK (locale IN ('en', 'zh-CN')), ADD COLUMN ship_deadline_missed_at timestamptz`);
    await q.query(`ALTER TABLE order_lines ADD COLUMN returned_quantity int NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE order_lines ADD CONSTRAINT order_lines_returned_within_shipped CHECK (returned_quantity >= 0 AND returned_quantity <= shipped_quantity)`);
    await q.query(`
      CREATE TABLE order_price_errors (
        order_id text NOT NULL REFERENCES orders (id),
        sku text NOT NULL,
        note text NOT NULL,
        flagged_by text NOT NULL,
        flagged_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (order_id, sku)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE order_price_errors`);
    await q.query(`ALTER TABLE order_lines DROP COLUMN returned_quantity`);
    await q.query(`ALTER TABLE orders DROP COLUMN locale, DROP COLUMN ship_deadline_missed_at`);
  }
}
