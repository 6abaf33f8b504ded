import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Payments, the provider webhook log and provider refunds. Money is bigint minor units. */
export class Payments1764200000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE payments (
        id text PRIMARY KEY,
        order_id text NOT NULL,
        customer_id text NOT NULL,
        provider text NOT NULL,
        provider_payment_id text UNIQUE,
        status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
        amount bigint NOT NULL CHECK (amount > 0),
        currency char(3) NOT NULL,
        captured_amount bigint NOT NULL DEFAULT 0 CHECK (captured_amount >= 0),
        refunded_amount bigint NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
        failure_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        -- the last word against refunding more than was captured
        CONSTRAINT payments_refunded_within_captured CHECK (refunded_amount <= captured_amount)
      )`);
    await queryRunner.query(`CREATE INDEX payments_order_id ON payments (order_id)`);
    await queryRunner.query(`
      CREATE TABLE webhook_events (
        provider text NOT NULL,
        event_id text NOT NULL,
        type text NOT NULL,
        outcome text NOT NULL,
        payload jsonb NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (provider, event_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE provider_refunds (
        refund_id text PRIMARY KEY,
        payment_id text REFERENCES payments (id),
        order_id text NOT NULL,
        provider text NOT NULL,
        amount bigint NOT NULL CHECK (amount >= 0),
        currency char(3) NOT NULL,
        attempt integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
        status text NOT NULL CHECK (status IN ('requested', 'calling', 'pending', 'succeeded', 'failed')),
        provider_refund_id text UNIQUE,
        failure_reason text,
        claimed_at timestamptz,
        synced_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX provider_refunds_open ON provider_refunds (status, updated_at) WHERE status IN ('requested', 'calling', 'pending')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE provider_refunds`);
    await queryRunner.query(`DROP TABLE webhook_events`);
    await queryRunner.query(`DROP TABLE payments`);
  }
}
