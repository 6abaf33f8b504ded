import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Provider refunds sent through the outbound-call primitive: `calling` is the call's own state now
 * (outbound_calls), a refund whose every attempt stayed unknown is `outcome_unknown`; refunds in
 * flight at the upgrade become calls due, under the same idempotency key.
 */
export class ProviderRefundCalls1764200000100 implements MigrationInterface {
  name = 'ProviderRefundCalls1764200000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE provider_refunds DROP CONSTRAINT IF EXISTS provider_refunds_status_check`);
    await q.query(`UPDATE provider_refunds SET status = 'requested' WHERE status = 'calling'`);
    await q.query(
      `ALTER TABLE provider_refunds ADD CONSTRAINT provider_refunds_status_check CHECK (status IN ('requested', 'pending', 'succeeded', 'failed', 'outcome_unknown'))`,
    );
    await q.query(
      `INSERT INTO outbound_calls (kind, key, payload, status)
       SELECT 'provider.refund', refund_id || ':' || attempt, jsonb_build_object('refundId', refund_id, 'attempt', attempt), 'due'
         FROM provider_refunds WHERE status = 'requested'
       ON CONFLICT (kind, key) DO NOTHING`,
    );
    await q.query(`DROP INDEX IF EXISTS provider_refunds_open`);
    await q.query(`CREATE INDEX provider_refunds_open ON provider_refunds (status, updated_at) WHERE status IN ('requested', 'pending', 'outcome_unknown')`);
    await q.query(`CREATE INDEX provider_refunds_listing ON provider_refunds (status, created_at, refund_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX provider_refunds_listing`);
    await q.query(`ALTER TABLE provider_refunds DROP CONSTRAINT provider_refunds_status_check`);
    await q.query(`UPDATE provider_refunds SET status = 'requested' WHERE status = 'outcome_unknown'`);
    await q.query(`ALTER TABLE provider_refunds ADD CONSTRAINT provider_refunds_status_check CHECK (status IN ('requested', 'calling', 'pending', 'succeeded', 'failed'))`);
  }
}
