import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The highest fencing token each lock key has written with; `assertFencingToken` keeps it. */
export class FencingTokens1764000000200 implements MigrationInterface {
  name = 'FencingTokens1764000000200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE fencing_tokens (key text PRIMARY KEY, token bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE fencing_tokens');
  }
}

/** Migrations a service adds to its own list when it guards writes with fencing tokens. */
export const lockingMigrations = [FencingTokens1764000000200];
