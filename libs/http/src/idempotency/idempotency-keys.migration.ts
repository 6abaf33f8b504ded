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

/** The migrations of this lib; a service lists them before its own. */
export const httpMigrations = [IdempotencyKeys1764000000100];
