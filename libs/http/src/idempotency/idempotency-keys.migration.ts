import { AuditLog1765700000000 } from '../audit/audit-log.migration';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The table behind `Idempotency-Key`: one row per key and scope, first as a claim, then as the stored answer. */
export class IdempotencyKeys1764000000100 implements MigrationInterface {
  name = 'IdempotencyKeys1764000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE idempotency_keys (
        key text NOT NULL,
        scope text NOT NULL,
        request_hash text NOT NULL,
        status text NOT NULL CHECK (status IN ('in_progress', 'completed')),
        response_status int,
        response_body jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        PRIMARY KEY (scope, key)
      )`);
    // expiry deletes by age
    await q.query('CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE idempotency_keys');
  }
}

/**
 * A replay must be the first answer byte for byte: `jsonb` stored it re-ordered (`{code, details,
 * message}` for `{code, message, details}`); `json` keeps the text as it was written.
 */
export class IdempotencyResponseAsWritten1764000000101 implements MigrationInterface {
  name = 'IdempotencyResponseAsWritten1764000000101';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE idempotency_keys ALTER COLUMN response_body TYPE json USING response_body::json');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE idempotency_keys ALTER COLUMN response_body TYPE jsonb USING response_body::jsonb');
  }
}

/**
 * A key tied to its effect: the effect's transaction records what it made (`refund:ref_…`), so the key
 * is never let go while the effect exists; each claim has a token, so a request whose claim was taken
 * over cannot commit through it; the route's success status answers a repeat rendered from the effect.
 */
export class IdempotencyKeyEffects1764000000102 implements MigrationInterface {
  name = 'IdempotencyKeyEffects1764000000102';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE idempotency_keys ADD COLUMN claim_token text, ADD COLUMN effect text, ADD COLUMN success_status int');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE idempotency_keys DROP COLUMN claim_token, DROP COLUMN effect, DROP COLUMN success_status');
  }
}

/** The migrations of this lib; a service lists them before its own. */
export const httpMigrations = [IdempotencyKeys1764000000100, IdempotencyResponseAsWritten1764000000101, IdempotencyKeyEffects1764000000102, AuditLog1765700000000];
