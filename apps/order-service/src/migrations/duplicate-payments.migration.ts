import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Money captured for an order beyond its one payment, and whether the system has paid it back yet. */
export class OrderDuplicatePayments1764100000200 implements MigrationInterface {
  name = 'OrderDuplicatePayments1764100000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE order_duplicate_payments (
        payment_id text PRIMARY KEY,
        order_id text NOT NULL REFERENCES orders (id),
        amount bigint NOT NULL CHECK (amount >= 0),
        currency char(3) NOT NULL,
        status text NOT NULL CHECK (status IN ('refund_pending', 'refunded')),
        refund_id text,
        captured_at timestamptz NOT NULL DEFAULT now(),
        refunded_at timestamptz
      )`);
    await q.query(`CREATE INDEX order_duplicate_payments_order ON order_duplicate_payments (order_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE order_duplicate_payments`);
  }
}
