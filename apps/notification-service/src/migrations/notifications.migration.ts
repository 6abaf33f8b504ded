import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The notification log: one row per mail or merchant webhook, sent by the sender loop. */
export class Notifications1764500000000 implements MigrationInterface {
  name = 'Notifications1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE notifications (
        id text PRIMARY KEY,
        channel text NOT NULL CHECK (channel IN ('email', 'webhook')),
        template text NOT NULL,
        recipient text NOT NULL,
        subject text NOT NULL,
        body text NOT NULL,
        status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        keep_retrying boolean NOT NULL DEFAULT false,
        order_id text NOT NULL,
        refund_id text,
        customer_id text NOT NULL,
        dedupe_key text NOT NULL UNIQUE,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        claimed_at timestamptz,
        -- clock time, not the transaction's: events handled in one batch keep their order
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        sent_at timestamptz,
        last_error text
      )`);
    // the sender's two scans: due rows, and rows stuck in sending
    await q.query(`CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'queued'`);
    await q.query(`CREATE INDEX notifications_sending ON notifications (claimed_at) WHERE status = 'sending'`);
    await q.query(`CREATE INDEX notifications_order ON notifications (order_id, created_at)`);
    await q.query(`CREATE INDEX notifications_refund ON notifications (refund_id, created_at) WHERE refund_id IS NOT NULL`);
    await q.query(`CREATE INDEX notifications_customer ON notifications (customer_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE notifications`);
  }
}
