import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refunds made at the provider outside Ebb (its dashboard) are recorded beside Ebb's own: `origin`
 * says which. Reconciliation runs and the differences they found (the ones a person must look at
 * stay `open`) get tables of their own.
 */
export class RefundsOutsideEbb1765600000000 implements MigrationInterface {
  name = 'RefundsOutsideEbb1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE provider_refunds ADD COLUMN origin text NOT NULL DEFAULT 'ebb' CHECK (origin IN ('ebb', 'provider'))`);
    await q.query(`CREATE INDEX provider_refunds_created ON provider_refunds (provider, created_at)`);
    await q.query(`CREATE INDEX payment_history_at ON payment_history (at) WHERE status = 'succeeded'`);
    await q.query(`
      CREATE TABLE reconciliation_runs (
        id text PRIMARY KEY,
        date date NOT NULL,
        provider text NOT NULL,
        trigger text NOT NULL CHECK (trigger IN ('api', 'daily')),
        status text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
        matched integer NOT NULL DEFAULT 0,
        error text,
        requested_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    // the daily run of a day and provider happens once, whichever replica's timer fires
    await q.query(`CREATE UNIQUE INDEX reconciliation_runs_daily ON reconciliation_runs (date, provider) WHERE trigger = 'daily'`);
    await q.query(`CREATE INDEX reconciliation_runs_listing ON reconciliation_runs (created_at, id)`);
    await q.query(`
      CREATE TABLE reconciliation_differences (
        id bigserial PRIMARY KEY,
        run_id text NOT NULL REFERENCES reconciliation_runs (id),
        kind text NOT NULL CHECK (kind IN ('missing_in_ebb', 'missing_at_provider', 'amount_mismatch', 'status_mismatch')),
        object text NOT NULL CHECK (object IN ('payment', 'refund')),
        provider text NOT NULL,
        refund_id text,
        provider_refund_id text,
        payment_id text,
        provider_payment_id text,
        currency char(3),
        ebb_amount bigint,
        provider_amount bigint,
        ebb_status text,
        provider_status text,
        resolution text NOT NULL CHECK (resolution IN ('repaired', 'open', 'resolved')),
        note text,
        resolved_by text,
        resolved_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX reconciliation_differences_run ON reconciliation_differences (run_id, id)`);
    await q.query(`CREATE INDEX reconciliation_differences_open ON reconciliation_differences (id) WHERE resolution = 'open'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE reconciliation_differences`);
    await q.query(`DROP TABLE reconciliation_runs`);
    await q.query(`DROP INDEX payment_history_at`);
    await q.query(`DROP INDEX provider_refunds_created`);
    await q.query(`ALTER TABLE provider_refunds DROP COLUMN origin`);
  }
}
