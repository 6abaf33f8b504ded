import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One payment in flight per order: at most one live payment (pending, failed but confirmable again,
 * or succeeded) that is not a duplicate; money captured anyway beyond it is a `duplicate`, refunded by
 * the system. Payments remember the customer's e-mail (for the duplicate's refund mails) and keep a
 * history of their transitions with the actor, as refunds do. Older extra live payments: the later
 * open ones are cancelled, a second success is marked a duplicate.
 */
export class PaymentsOnePerOrder1764200000200 implements MigrationInterface {
  name = 'PaymentsOnePerOrder1764200000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payments ADD COLUMN duplicate boolean NOT NULL DEFAULT false, ADD COLUMN email text`);
    await q.query(`
      WITH ranked AS (
        SELECT id, row_number() OVER (PARTITION BY order_id ORDER BY (status = 'succeeded') DESC, created_at, id) AS n
          FROM payments WHERE status IN ('pending', 'failed', 'succeeded')
      )
      UPDATE payments p SET duplicate = (p.status = 'succeeded'), status = CASE WHEN p.status = 'succeeded' THEN 'succeeded' ELSE 'canceled' END
        FROM ranked r WHERE r.id = p.id AND r.n > 1`);
    await q.query(`CREATE UNIQUE INDEX payments_one_live_per_order ON payments (order_id) WHERE status IN ('pending', 'failed', 'succeeded') AND NOT duplicate`);
    await q.query(`
      CREATE TABLE payment_history (
        id bigserial PRIMARY KEY,
        payment_id text NOT NULL REFERENCES payments (id),
        action text NOT NULL,
        status text NOT NULL,
        actor text NOT NULL,
        note text,
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX payment_history_payment ON payment_history (payment_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE payment_history`);
    await q.query(`DROP INDEX payments_one_live_per_order`);
    await q.query(`ALTER TABLE payments DROP COLUMN duplicate, DROP COLUMN email`);
  }
}
