import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The change feed (`GET /v1/refunds?updatedAfter=`) reads refunds in the order they last changed. */
export class RefundsUpdatedAt1764900000000 implements MigrationInterface {
  name = 'RefundsUpdatedAt1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX refunds_updated_at ON refunds (updated_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX refunds_updated_at`);
  }
}
