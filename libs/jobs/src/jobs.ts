import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import PgBoss from 'pg-boss';
import { counter } from '@ebb/observability';
import { type JobKind, jobIdOf, jobKinds } from './job-kind';
import { JOBS_SCHEMA } from './jobs.migration';

export interface JobsOptions {
  /** the service's own database (pg-boss's tables are in its `pgboss` schema) */
  url: string;
  applicationName?: string;
  /** how often an idle worker asks for jobs due (pg-boss allows 0.5 s at least) */
  pollSeconds: number;
  /** how long a job may run: one held by a process that died is tried again after this */
  expireSeconds: number;
  /** how often expired jobs are put back (and old ones archived), by one replica at a time */
  maintenanceSeconds: number;
}

/** What a handler is told of the job it runs. */
export interface JobRun<P> {
  id: string;
  kind: string;
  payload: P;
}

const outcomes = counter('jobs_total', 'Durable timer jobs run, by kind and outcome (done, failed: tried again until its retries run out)', ['kind', 'outcome']);

/**
 * Durable timers on the service's own PostgreSQL (pg-boss): a job is written in the transaction that
 * decides it (`schedule`), so it exists if and only if that commits; it fires once across every
 * replica (a worker claims it with SKIP LOCKED), after a restart too (it is a row), and one whose
 * process died while running it is tried again after `expireSeconds`. A handler must therefore be
 * idempotent: it checks the state it would change (a refund already decided is left alone).
 */
export class Jobs {
  private readonly boss: PgBoss;
  private readonly handlers = new Map<string, { kind: JobKind<unknown>; run: (job: JobRun<unknown>) => Promise<void> }>();
  private readonly crons: { kind: JobKind<unknown>; cron: string; payload: object }[] = [];
  private started = false;
  private working = false;

  constructor(
    private readonly options: JobsOptions,
    private readonly logger?: Logger,
  ) {
    this.boss = new PgBoss({
      connectionString: options.url,
      application_name: options.applicationName,
      schema: JOBS_SCHEMA,
      // a few connections: workers poll, the rest is pg-boss's own upkeep
      max: 3,
      // the schema is made by the service's migrations, like every other table
      migrate: false,
      pollingIntervalSeconds: options.pollSeconds,
      expireInSeconds: options.expireSeconds,
      maintenanceIntervalSeconds: options.maintenanceSeconds,
    });
    this.boss.on('error', (error) => this.logger?.warn({ err: (error as Error).message }, 'pg-boss error; it tries again'));
  }

  /** Registers what to do when a job of this kind is due (in `onModuleInit`); the worker starts with the application. */
  handle<P>(kind: JobKind<P>, run: (job: JobRun<P>) => Promise<void>): this {
    if (this.handlers.has(kind.name)) throw new Error(`job kind ${kind.name} handled twice`);
    this.handlers.set(kind.name, { kind: kind as JobKind<unknown>, run: run as (job: JobRun<unknown>) => Promise<void> });
    return this;
  }

  /** Runs a job of `kind` on a cron schedule (UTC), once across replicas per tick (e.g. a daily reconciliation). */
  every<P extends object>(kind: JobKind<P>, cron: string, payload: P): this {
    this.crons.push({ kind: kind as JobKind<unknown>, cron, payload });
    return this;
  }

  /**
   * Schedules a job in the caller's transaction: it exists if and only if the transaction commits,
   * and runs once at `at` (at once if that has passed). The same kind and key schedule one job.
   */
  async schedule<P extends object>(manager: EntityManager, kind: JobKind<P>, key: string, payload: P, at: Date): Promise<void> {
    const runner = manager.queryRunner;
    if (!runner?.isTransactionActive) throw new Error('Jobs.schedule must run inside the transaction that decides the job');
    if (!this.started) throw new Error('Jobs.schedule before the jobs of this service started');
    await this.boss.send(kind.name, payload, {
      id: jobIdOf(kind, key),
      startAfter: at,
      retryLimit: kind.retryLimit,
      retryDelay: kind.retryDelaySeconds,
      retryBackoff: true,
      db: { executeSql: async (text: string, values: unknown[]) => ({ rows: (await runner.query(text, values, true)).records }) },
    });
  }

  /** When a scheduled job of this kind and key is due, if it has not run yet (for views: "approved automatically at …"). */
  async dueAt(manager: EntityManager, kind: JobKind<unknown>, key: string): Promise<Date | undefined> {
    const [row]: { start_after: Date }[] = await manager.query(
      `SELECT start_after FROM ${JOBS_SCHEMA}.job WHERE name = $1 AND id = $2 AND state IN ('created', 'retry', 'active')`,
      [kind.name, jobIdOf(kind, key)],
    );
    return row?.start_after;
  }

  /** Connects and makes a queue for every declared kind, before the service takes requests or messages. */
  async start(): Promise<void> {
    if (this.started) return;
    await this.boss.start();
    for (const kind of jobKinds()) {
      await this.boss.createQueue(kind.name, { name: kind.name, policy: 'standard', retryLimit: kind.retryLimit, retryDelay: kind.retryDelaySeconds, retryBackoff: true });
    }
    this.started = true;
  }

  /** Starts the workers of the kinds this service handles, and its cron schedules. */
  async work(): Promise<void> {
    if (this.working) return;
    this.working = true;
    for (const { kind, run } of this.handlers.values()) {
      await this.boss.work<unknown>(kind.name, { batchSize: 1, pollingIntervalSeconds: this.options.pollSeconds }, async ([job]) => {
        try {
          await run({ id: job.id, kind: kind.name, payload: job.data });
          outcomes.inc({ kind: kind.name, outcome: 'done' });
        } catch (error) {
          outcomes.inc({ kind: kind.name, outcome: 'failed' });
          this.logger?.warn({ kind: kind.name, jobId: job.id, err: (error as Error).message }, 'job failed; pg-boss tries it again');
          throw error;
        }
      });
    }
    for (const { kind, cron, payload } of this.crons) await this.boss.schedule(kind.name, cron, payload, { tz: 'UTC' });
  }

  /** Takes no more jobs and waits (briefly) for those running; a job cut off is tried again by any replica. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.working = false;
    await this.boss.stop({ graceful: true, wait: true, timeout: 5000 });
  }
}
