import PgBoss from 'pg-boss';
import { type TestApp, bootTestApp, sleep, waitFor } from '@ebb/testing';
import { AppModule } from '../src/app.module';
import { DAILY_RECONCILIATION, previousDay } from '../src/reconciliation/daily-reconciliation';
import { PaymentWorld } from './payment-world';

/**
 * The daily reconciliation runs by itself, through pg-boss on payment-service's database: two
 * replicas share one schedule (every minute here, checked every second) and record one run per
 * provider and day between them; a job left in the database while no replica ran is done by the
 * next one that starts.
 */
describe('payment-service: the daily reconciliation', () => {
  const world = new PaymentWorld();
  let second: TestApp | undefined;

  beforeAll(() => world.start({ RECONCILE_DAILY: 'true', RECONCILE_CRON: '* * * * *', RECONCILE_CRON_CHECK_SECONDS: '1' }));
  afterAll(async () => {
    await second?.close();
    await world.stop();
  });

  const dailyRuns = (): Promise<{ provider: string; date: string; status: string }[]> =>
    world.dataSource.query(`SELECT provider, to_char(date, 'YYYY-MM-DD') AS date, status FROM reconciliation_runs WHERE trigger = 'daily' ORDER BY provider`);

  it('fires once across two replicas: one run of each provider’s previous day, done', async () => {
    second = await bootTestApp({ module: AppModule.forRoot(world.config) });
    const runs = await waitFor(async () => {
      const rows = await dailyRuns();
      return rows.length === 3 && rows.every((row) => row.status === 'done') && rows;
    }, { what: 'the daily runs of stripe, alipay and wechatpay', timeoutMs: 90_000 });
    const now = new Date();
    expect(runs).toEqual([
      { provider: 'alipay', date: expect.stringMatching(new RegExp(`^(${previousDay(now, 480)}|${previousDay(new Date(now.getTime() - 120_000), 480)})$`)), status: 'done' },
      { provider: 'stripe', date: expect.stringMatching(new RegExp(`^(${previousDay(now, 0)}|${previousDay(new Date(now.getTime() - 120_000), 0)})$`)), status: 'done' },
      { provider: 'wechatpay', date: expect.stringMatching(new RegExp(`^(${previousDay(now, 480)}|${previousDay(new Date(now.getTime() - 120_000), 480)})$`)), status: 'done' },
    ]);
    // the schedule lives in the database, beside the jobs
    const [schedule] = await world.dataSource.query(`SELECT name, cron, timezone FROM pgboss.schedule WHERE name = $1`, [DAILY_RECONCILIATION]);
    expect(schedule).toEqual({ name: DAILY_RECONCILIATION, cron: '* * * * *', timezone: 'UTC' });
    // several more checks of the clock by both replicas add no run of the same days
    await sleep(3000);
    expect(await dailyRuns()).toHaveLength(3);
  });

  it('does a job left in the database while no replica ran, once one starts again', async () => {
    await second?.close();
    second = undefined;
    await world.app.close();
    await world.dataSource.destroy().catch(() => undefined);
    // the tick came while every replica was down: its job waits in the database
    const pg = await import('pg');
    const client = new pg.Client({ connectionString: world.config.DATABASE_URL });
    await client.connect();
    await client.query(`DELETE FROM reconciliation_differences`);
    await client.query(`DELETE FROM reconciliation_runs WHERE trigger = 'daily'`);
    await client.query(`DELETE FROM pgboss.schedule WHERE name = $1`, [DAILY_RECONCILIATION]);
    const boss = new PgBoss({ connectionString: world.config.DATABASE_URL, schema: 'pgboss', supervise: false, schedule: false });
    await boss.start();
    expect(await boss.send(DAILY_RECONCILIATION, {})).toEqual(expect.any(String));
    await boss.stop({ graceful: false });
    await client.end();

    // a replica with no schedule of its own to fire (a daily cron): it finds the job left behind
    second = await bootTestApp({ module: AppModule.forRoot({ ...world.config, RECONCILE_CRON: '0 3 1 1 *' }) });
    const check = await import('pg');
    const reader = new check.Client({ connectionString: world.config.DATABASE_URL });
    await reader.connect();
    try {
      await waitFor(async () => (await reader.query(`SELECT count(*)::int AS n FROM reconciliation_runs WHERE trigger = 'daily' AND status = 'done'`)).rows[0].n === 3, {
        what: 'the runs of the job left behind',
        timeoutMs: 30_000,
      });
    } finally {
      await reader.end();
    }
  });
});
