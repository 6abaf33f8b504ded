import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Calls that leave the process (a provider, the carrier, another service, a mail server), recorded
 * as intents in the transaction that decided them: `due` → `calling` (claimed, with a lease) →
 * `done`, or back to `due` after a failure until the attempts run out, then `parked` for a person.
 * (kind, key) is unique: recording the same call twice records it once.
 */
export class OutboundCalls1764000000200 implements MigrationInterface {
  name = 'OutboundCalls1764000000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbound_calls (
        id bigserial PRIMARY KEY,
        kind text NOT NULL,
        key text NOT NULL,
        payload jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('due', 'calling', 'done', 'parked')),
        attempts int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_until timestamptz,
        first_called_at timestamptz,
        last_error text,
        outcome text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT outbound_calls_once UNIQUE (kind, key)
      )`);
    // the loop's two scans: calls due, and claims whose lease ran out (their process died)
    await q.query(`CREATE INDEX outbound_calls_due ON outbound_calls (next_attempt_at) WHERE status = 'due'`);
    await q.query(`CREATE INDEX outbound_calls_leased ON outbound_calls (lease_until) WHERE status = 'calling'`);
    await q.query(`CREATE INDEX outbound_calls_parked ON outbound_calls (kind, updated_at) WHERE status = 'parked'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE outbound_calls`);
  }
}

/** The migrations of this lib; a service that records outbound calls lists them before its own. */
export const outboundMigrations = [OutboundCalls1764000000200];
