import { spawn } from 'node:child_process';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { openDatabase } from '@ebb/persistence';
import { type TestDatabase, freshDatabase, waitFor } from '@ebb/testing';
import { Jobs, type JobRun, jobIdOf, jobsMigrations } from '../src';
import { Fired1766000009000, Ring, testJobOptions } from './ring';

const ROOT = path.resolve(__dirname, '../../..');

const options = testJobOptions;

describe('durable timers (pg-boss): scheduled in the deciding transaction, fired once across replicas and restarts', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  const workers: Jobs[] = [];
  let failFirst = new Set<string>();

  /** A replica's jobs: it records each firing, and may be told to fail a key's first try. */
  const replica = async (name: string, run?: (job: JobRun<{ key: string }>) => Promise<void>) => {
    const jobs = new Jobs(options(db.url)).handle(
      Ring,
      run ??
        (async ({ payload }) => {
          if (failFirst.delete(payload.key)) throw new Error('the first try fails');
          await dataSource.query(`INSERT INTO fired (key, worker) VALUES ($1, $2)`, [payload.key, name]);
        }),
    );
    await jobs.start();
    workers.push(jobs);
    return jobs;
  };
  const firedOf = async (key: string): Promise<{ worker: string; at: Date }[]> => dataSource.query(`SELECT worker, at FROM fired WHERE key = $1`, [key]);

  beforeAll(async () => {
    db = await freshDatabase('jobs');
    dataSource = await openDatabase({ url: db.url, entities: [], migrations: [...jobsMigrations, Fired1766000009000] });
  });
  afterAll(async () => {
    for (const jobs of workers) await jobs.stop();
    await dataSource?.destroy();
    await db?.drop();
  });
  beforeEach(() => {
    failFirst = new Set();
  });

  it('derives one job id per kind and key', () => {
    expect(jobIdOf(Ring, 'a')).toBe(jobIdOf(Ring, 'a'));
    expect(jobIdOf(Ring, 'a')).not.toBe(jobIdOf(Ring, 'b'));
    expect(jobIdOf(Ring, 'a')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('never runs a job whose transaction rolled back, and runs a committed one once at its time, however often it was scheduled', async () => {
    const scheduler = await replica('scheduler');
    await scheduler.work();
    const at = new Date(Date.now() + 1500);
    await expect(
      dataSource.transaction(async (manager) => {
        await scheduler.schedule(manager, Ring, 'rolled-back', { key: 'rolled-back' }, new Date());
        throw new Error('the decision is undone');
      }),
    ).rejects.toThrow('the decision is undone');
    await dataSource.transaction((manager) => scheduler.schedule(manager, Ring, 'once', { key: 'once' }, at));
    await dataSource.transaction((manager) => scheduler.schedule(manager, Ring, 'once', { key: 'once' }, at));
    expect(await dataSource.transaction((manager) => scheduler.dueAt(manager, Ring, 'once'))).toEqual(at);
    const [fired] = await waitFor(async () => {
      const rows = await firedOf('once');
      return rows.length > 0 && rows;
    }, { what: 'the job to fire' });
    expect(fired.at.getTime()).toBeGreaterThanOrEqual(at.getTime());
    // a later job fired meanwhile proves the rolled-back and the repeated one had every chance to run
    await dataSource.transaction((manager) => scheduler.schedule(manager, Ring, 'later', { key: 'later' }, new Date()));
    await waitFor(async () => (await firedOf('later')).length === 1, { what: 'the later job' });
    expect(await firedOf('once')).toHaveLength(1);
    expect(await firedOf('rolled-back')).toEqual([]);
    await expect(dataSource.transaction(async () => scheduler.schedule(dataSource.manager, Ring, 'outside', { key: 'outside' }, new Date()))).rejects.toThrow(
      /inside the transaction/,
    );
  });

  it('fires each job once across three replicas, tries a failed one again, and leaves a job of a stopped replica to the others', async () => {
    const a = await replica('a');
    const b = await replica('b');
    const c = await replica('c');
    await Promise.all([a.work(), b.work(), c.work()]);
    const keys = Array.from({ length: 12 }, (_, i) => `spread-${i}`);
    failFirst = new Set(['spread-3']);
    await dataSource.transaction(async (manager) => {
      for (const key of keys) await a.schedule(manager, Ring, key, { key }, new Date(Date.now() + 1000));
    });
    // the replica that scheduled them stops before they are due: the others fire them
    await a.stop();
    await waitFor(async () => (await dataSource.query(`SELECT count(DISTINCT key)::int AS n FROM fired WHERE key LIKE 'spread-%'`))[0].n === keys.length, {
      what: 'every job to fire',
      timeoutMs: 30000,
    });
    const rows: { key: string; n: number; workers: string[] }[] = await dataSource.query(
      `SELECT key, count(*)::int AS n, array_agg(DISTINCT worker) AS workers FROM fired WHERE key LIKE 'spread-%' GROUP BY key`,
    );
    expect(rows.every((row) => row.n === 1)).toBe(true);
    expect(new Set(rows.flatMap((row) => row.workers))).not.toContain('a');
  });

  it('tries a job again after the process running it was killed (its job expired), so a crash loses no timer', async () => {
    // no other worker: the killed process alone takes the job
    for (const jobs of workers.splice(0)) await jobs.stop();
    const dying = spawn(process.execPath, ['-r', './tools/register.js', 'libs/jobs/test/fixture/dying-worker.ts', db.url], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((resolve) => dying.once('exit', resolve));
    try {
      let output = '';
      dying.stdout.on('data', (chunk) => (output += chunk));
      dying.stderr.on('data', (chunk) => (output += chunk));
      await waitFor(() => output.includes('working'), { what: 'the dying replica to work', timeoutMs: 30000 });
      const scheduler = await replica('scheduler-2');
      await dataSource.transaction((manager) => scheduler.schedule(manager, Ring, 'crash', { key: 'crash' }, new Date()));
      await waitFor(async () => (await firedOf('crash')).length === 1, { what: 'the dying replica to take the job' });
      expect(await firedOf('crash')).toMatchObject([{ worker: 'dying-started' }]);
      dying.kill('SIGKILL');
      await exited;
      const survivor = await replica('survivor');
      await survivor.work();
      await waitFor(async () => (await firedOf('crash')).some((row) => row.worker === 'survivor'), { what: 'the survivor to run it again', timeoutMs: 30000 });
      expect((await firedOf('crash')).map((row) => row.worker)).toEqual(['dying-started', 'survivor']);
    } finally {
      dying.kill('SIGKILL');
    }
  });
});
