import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Every support and admin write: who, when, what, on which target, and how it ended. */
export class AuditLog1765700000000 implements MigrationInterface {
  name = 'AuditLog1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        role text NOT NULL,
        action text NOT NULL,
        target text,
        params jsonb NOT NULL DEFAULT '{}',
        outcome text NOT NULL CHECK (outcome IN ('pending', 'succeeded', 'refused', 'replayed', 'failed')),
        status int,
        code text,
        ended_at timestamptz
      )`);
    await q.query('CREATE INDEX audit_log_actor_idx ON audit_log (actor, id)');
    await q.query('CREATE INDEX audit_log_target_idx ON audit_log (target, id)');
    await q.query('CREATE INDEX audit_log_at_idx ON audit_log (at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE audit_log');
  }
}
