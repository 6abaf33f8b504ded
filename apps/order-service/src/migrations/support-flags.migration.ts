import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What support should look at on an order: a refund made at the provider outside Ebb (its dashboard), once per refund. */
export class OrderSupportFlags1765600000000 implements MigrationInterface {
  name = 'OrderSupportFlags1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE order_support_flags (
        order_id text NOT NULL REFERENCES orders (id),
        kind text NOT NULL CHECK (kind IN ('refunded_outside_ebb')),
        refund_id text NOT NULL,
        amount bigint NOT NULL CHECK (amount >= 0),
        currency char(3) NOT NULL,
        note text,
        flagged_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (order_id, kind, refund_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE order_support_flags`);
  }
}
