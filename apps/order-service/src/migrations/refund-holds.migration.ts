import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Goods held for refunds being paid before they shipped: a held line cannot ship; once the refund
 * succeeds it never will (`refunded`); a cancelled or rejected refund lets it go (`released`). Each
 * order line counts the units that left with the shipment, so a shipment takes only what is left.
 */
export class OrderRefundHolds1764100000100 implements MigrationInterface {
  name = 'OrderRefundHolds1764100000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE order_refund_holds (
        refund_id text PRIMARY KEY,
        order_id text NOT NULL REFERENCES orders (id),
        items jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('held', 'refunded', 'released')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX order_refund_holds_order ON order_refund_holds (order_id)`);
    await q.query(`ALTER TABLE order_lines ADD COLUMN shipped_quantity int NOT NULL DEFAULT 0 CHECK (shipped_quantity >= 0)`);
    await q.query(`ALTER TABLE order_lines ADD CONSTRAINT order_lines_shipped_within_ordered CHECK (shipped_quantity <= quantity)`);
    // orders that shipped before lines were counted shipped every line
    await q.query(
      `UPDATE order_lines l SET shipped_quantity = l.quantity FROM orders o WHERE o.id = l.order_id AND o.fulfillment_status <> 'unfulfilled'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE order_lines DROP COLUMN shipped_quantity`);
    await q.query(`DROP TABLE order_refund_holds`);
  }
}
