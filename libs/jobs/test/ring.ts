import type { MigrationInterface, QueryRunner } from 'typeorm';
import { defineJob } from '../src';

/** The test's kind of job: each firing is a row of `fired`. */
export const Ring = defineJob<{ key: string }>('test_ring', { retryLimit: 3, retryDelaySeconds: 1 });

export class Fired1766000009000 implements MigrationInterface {
  async up(q: QueryRunner) {
    await q.query(`CREATE TABLE fired (key text NOT NULL, worker text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`);
  }
  async down(q: QueryRunner) {
    await q.query(`DROP TABLE fired`);
  }
}

/** Quick timers for tests: a job held by a dead process is tried again within seconds. */
export const testJobOptions = (url: string) => ({ url, pollSeconds: 0.5, expireSeconds: 2, maintenanceSeconds: 1 });
