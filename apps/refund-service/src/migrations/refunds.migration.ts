import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Refunds, and the per-order ledger whose CHECK keeps committed refunds within what was captured. */
export class Refunds1764300000000 implements MigrationInterface {
  name = 'Refunds1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE refund_ledgers (
        order_id text PRIMARY KEY,
        captured_amount bigint NOT NULL CHECK (captured_amount >= 0),
        -- active and succeeded refunds; failed, rejected and cancelled ones give their amount back
        committed_amount bigint NOT NULL DEFAULT 0 CHECK (committed_amount >= 0),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT refund_ledgers_within_captured CHECK (committed_amount <= captured_amount)
      )`);
    await q.query(`
      CREATE TABLE refunds (
        id text PRIMARY KEY,
        order_id text NOT NULL,
        customer_id text NOT NULL,
        email text NOT NULL,
        status text NOT NULL,
        amount bigint NOT NULL CHECK (amount > 0),
        currency char(3) NOT NULL,
        reason text NOT NULL,
        initiator text NOT NULL,
        items jsonb,
        shipped boolean NOT NULL,
        note text,
        provider_refund_id text,
        failure_reason text,
        history jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX refunds_order_id ON refunds (order_id, created_at)`);
    await q.query(`CREATE INDEX refunds_customer_id ON refunds (customer_id, created_at)`);
    await q.query(`CREATE INDEX refunds_status ON refunds (status, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE refunds`);
    await q.query(`DROP TABLE refund_ledgers`);
  }
}
