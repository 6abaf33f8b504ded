import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox (events written with the state change that caused them), the inbox (message ids
 * already handled, per handler) and parked messages. Every service database gets these.
 */
export class MessagingTables1764000000000 implements MigrationInterface {
  name = 'MessagingTables1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        message_id uuid NOT NULL,
        routing_key text NOT NULL,
        payload jsonb NOT NULL,
        correlation_id text NOT NULL,
        causation_id text,
        occurred_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await queryRunner.query(`
      CREATE TABLE inbox (
        message_id text NOT NULL,
        handler text NOT NULL,
        handled_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (message_id, handler)
      )`);
    await queryRunner.query(`CREATE INDEX inbox_handled_at ON inbox (handled_at)`);
    await queryRunner.query(`
      CREATE TABLE dead_letters (
        id text PRIMARY KEY,
        message_id text NOT NULL,
        type text NOT NULL,
        handler text NOT NULL,
        queue text NOT NULL,
        content text NOT NULL,
        correlation_id text,
        causation_id text,
        error text NOT NULL,
        attempts int NOT NULL,
        parked_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX dead_letters_parked_at ON dead_letters (parked_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE dead_letters`);
    await queryRunner.query(`DROP TABLE inbox`);
    await queryRunner.query(`DROP TABLE outbox`);
  }
}

/**
 * Dead-letter paging by keyset on (parked_at, id), newest first; a replay claims its row
 * (`replaying_at`) before it sends, so no transaction is open while the broker confirms.
 */
export class DeadLetterKeyset1764000000001 implements MigrationInterface {
  name = 'DeadLetterKeyset1764000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE dead_letters ADD COLUMN replaying_at timestamptz`);
    await queryRunner.query(`CREATE INDEX dead_letters_page ON dead_letters (parked_at DESC, id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX dead_letters_page`);
    await queryRunner.query(`ALTER TABLE dead_letters DROP COLUMN replaying_at`);
  }
}

export const messagingMigrations = [MessagingTables1764000000000, DeadLetterKeyset1764000000001];

/**
 * A migration that gives inbox handlers their new names (`renames`: old → new): the messages the old
 * name handled are copied under the new one, so a redelivery after the release is still a duplicate.
 * The old rows stay: an older replica (a canary's stable half) still looks under the old name.
 * `name` is the migration's, ending in its 13-digit timestamp.
 */
export function inboxRenames(name: string, renames: Record<string, string>): new () => MigrationInterface {
  return class implements MigrationInterface {
    name = name;

    async up(queryRunner: QueryRunner): Promise<void> {
      for (const [from, to] of Object.entries(renames)) {
        await queryRunner.query(
          `INSERT INTO inbox (message_id, handler, handled_at) SELECT message_id, $2, handled_at FROM inbox WHERE handler = $1 ON CONFLICT DO NOTHING`,
          [from, to],
        );
      }
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      for (const to of Object.values(renames)) await queryRunner.query(`DELETE FROM inbox WHERE handler = $1`, [to]);
    }
  };
}
