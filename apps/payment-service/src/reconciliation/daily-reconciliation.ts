import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import { LOGGER } from '@ebb/observability';
import { PAYMENT_ENV, type PaymentEnv } from '../config';
import { PAYMENT_PROVIDERS, type PaymentProviders, type ProviderName } from '../providers/payment-provider';
import { ReconciliationRuns } from './reconciliation-runs';

/** The pg-boss queue of the daily run (its schedule lives in payment-service's database, schema `pgboss`). */
export const DAILY_RECONCILIATION = 'reconciliation-daily';

/** The day before `now` in a provider's time zone: the last day it has finished. */
export function previousDay(now: Date, offsetMinutes: number): string {
  return new Date(now.getTime() + offsetMinutes * 60_000 - 86_400_000).toISOString().slice(0, 10);
}

/**
 * The daily reconciliation, by itself: a pg-boss schedule (RECONCILE_CRON, UTC) on payment-service's
 * database fires once across replicas (pg-boss elects one to turn a tick into one job) and survives
 * restarts (the schedule and a job not yet done wait in the database). The job records, for each
 * provider, a run of its previous day, once per day and provider (a unique index), whoever runs it.
 * Kept small here; a shared jobs library may take it over.
 */
@Injectable()
export class DailyReconciliation implements OnApplicationBootstrap, OnApplicationShutdown {
  private boss?: PgBoss;

  constructor(
    private readonly runs: ReconciliationRuns,
    @Inject(PAYMENT_PROVIDERS) private readonly providers: PaymentProviders,
    @Inject(PAYMENT_ENV) private readonly env: PaymentEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.env.RECONCILE_DAILY) return;
    const boss = new PgBoss({
      connectionString: this.env.DATABASE_URL,
      schema: 'pgboss',
      max: 2,
      application_name: `${this.env.SERVICE_NAME}-jobs`,
      cronMonitorIntervalSeconds: this.env.RECONCILE_CRON_CHECK_SECONDS,
      cronWorkerIntervalSeconds: Math.min(this.env.RECONCILE_CRON_CHECK_SECONDS, 5),
    });
    boss.on('error', (error) => this.logger.warn({ err: error.message }, 'daily reconciliation: pg-boss reported an error'));
    await boss.start();
    await boss.createQueue(DAILY_RECONCILIATION, { name: DAILY_RECONCILIATION, policy: 'singleton', retryLimit: 5, retryDelay: 60, retryBackoff: true });
    await boss.schedule(DAILY_RECONCILIATION, this.env.RECONCILE_CRON, {}, { tz: 'UTC' });
    await boss.work(DAILY_RECONCILIATION, { pollingIntervalSeconds: Math.max(0.5, Math.min(this.env.RECONCILE_CRON_CHECK_SECONDS, 2)) }, async () => {
      await this.runDaily(new Date());
    });
    this.boss = boss;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.boss?.stop({ graceful: true, wait: true, timeout: 10_000 });
  }

  /** Records each provider's run of its previous day (once per day and provider, whichever replica asks). */
  async runDaily(now: Date): Promise<string[]> {
    const started: string[] = [];
    for (const name of Object.keys(this.providers) as ProviderName[]) {
      const provider = this.providers[name]!;
      const run = await this.runs.start({ date: previousDay(now, provider.dayOffsetMinutes), provider: name, trigger: 'daily', requestedBy: 'system:daily' });
      if (run) started.push(run.id);
    }
    this.logger.info({ started }, 'daily reconciliation recorded');
    return started;
  }
}
