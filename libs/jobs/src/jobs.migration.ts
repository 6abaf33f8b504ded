import type { MigrationInterface, QueryRunner } from 'typeorm';
import PgBoss from 'pg-boss';

/** The schema pg-boss keeps its queues and jobs in, in the service's own database. */
export const JOBS_SCHEMA = 'pgboss';

/**
 * pg-boss's tables, made by a migration like every other table (its own start does not create
 * them): the plans are pg-boss's own, for the version installed.
 */
export class JobsSchema1766000000000 implements MigrationInterface {
  name = 'JobsSchema1766000000000';
  // pg-boss's plan is a transaction of its own (BEGIN … COMMIT, under its advisory lock)
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await q.query(PgBoss.getConstructionPlans(JOBS_SCHEMA));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA ${JOBS_SCHEMA} CASCADE`);
  }
}

/** The migrations of this lib; a service with durable timers lists them before its own. */
export const jobsMigrations = [JobsSchema1766000000000];
