import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { HealthRegistry, metricsRegistry } from '@ebb/observability';
import { openDatabase } from '@ebb/persistence';
import { TEST_REDIS_URL, type TestDatabase, freshDatabase, sleep, uniqueSuffix, waitFor } from '@ebb/testing';
import Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import {
  LockService,
  LockTimeoutError,
  LockingModule,
  REDIS_CLIENTS,
  StaleLockError,
  assertFencingToken,
  createRedisClients,
  lockingMigrations,
  quitRedisClients,
} from '../src';

const run = uniqueSuffix();
const keyFor = (name: string) => `test:${run}:${name}`;

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('locking', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let clients: Redis[];
  let locks: LockService;
  let redis: Redis;
  const warnings: string[] = [];

  beforeAll(async () => {
    db = await freshDatabase('locking');
    dataSource = await openDatabase({ url: db.url, entities: [], migrations: lockingMigrations });
    await dataSource.query('CREATE TABLE shared_record (id text PRIMARY KEY, inside text, counter int NOT NULL DEFAULT 0, value text)');
    clients = createRedisClients([TEST_REDIS_URL]);
    locks = new LockService({ clients, options: { logger: { warn: (_details, message) => warnings.push(message) } } });
    redis = new Redis(TEST_REDIS_URL);
  });

  afterAll(async () => {
    // fencing counters never expire by design: remove this run's
    const leftovers = await redis.keys(`*test:${run}:*`);
    if (leftovers.length) await redis.del(...leftovers);
    await quitRedisClients([...clients, redis]);
    await dataSource?.destroy();
    await db?.drop();
  });

  it('lets 50 concurrent holders of one key in five processes in one at a time, with tokens increasing in the order they entered', async () => {
    const key = keyFor('shared');
    // five LockServices stand for five processes: each queues its own callers, Redis decides between them
    const processes = [locks, ...Array.from({ length: 4 }, () => new LockService({ clients }))];
    await dataSource.query('INSERT INTO shared_record (id) VALUES ($1)', [key]);
    const entered: number[] = [];
    const overlaps: string[] = [];

    await Promise.all(
      Array.from({ length: 50 }, (_, holder) =>
        processes[holder % processes.length].withLock(
          key,
          async ({ token }) => {
            entered.push(token);
            const [{ inside }] = await dataSource.query('SELECT inside FROM shared_record WHERE id = $1', [key]);
            if (inside !== null) overlaps.push(`holder ${holder} entered while ${inside} was inside`);
            await dataSource.query('UPDATE shared_record SET inside = $2 WHERE id = $1', [key, `holder ${holder}`]);
            // read-modify-write with a pause: any overlap would lose an increment
            const [{ counter }] = await dataSource.query('SELECT counter FROM shared_record WHERE id = $1', [key]);
            await sleep(3);
            await dataSource.query('UPDATE shared_record SET counter = $2, inside = NULL WHERE id = $1', [key, counter + 1]);
          },
          { maxWaitMs: 20000 },
        ),
      ),
    );

    expect(overlaps).toEqual([]);
    const [{ counter }] = await dataSource.query('SELECT counter FROM shared_record WHERE id = $1', [key]);
    expect(counter).toBe(50);
    expect(entered).toHaveLength(50);
    expect(new Set(entered).size).toBe(50);
    entered.slice(1).forEach((token, i) => expect(token).toBeGreaterThan(entered[i]));
  });

  it('refuses the write of a holder whose lock expired mid-work once a newer holder has written', async () => {
    const key = keyFor('account');
    await dataSource.query('INSERT INTO shared_record (id, value) VALUES ($1, $2)', [key, 'initial']);
    // the guarded write comes first: what the fencing check decides is whether the transaction commits
    const write = (token: number, value: string) =>
      dataSource.transaction(async (manager) => {
        await manager.query('UPDATE shared_record SET value = $2 WHERE id = $1', [key, value]);
        await assertFencingToken(manager, key, token);
      });
    const lockLost = deferred();
    const newerHolderWrote = deferred();
    let tokenA = 0;

    const holderA = locks.withLock(
      key,
      async ({ token, signal }) => {
        tokenA = token;
        // a pause longer than the ttl (GC, stalled network): the lock vanishes from Redis meanwhile
        await redis.del(`lock:${key}`);
        lockLost.resolve();
        await newerHolderWrote.promise;
        await waitFor(() => signal.aborted, { what: 'the failed extension to abort the signal' });
        // a careless holder writes anyway; the database must refuse it
        await write(token, 'A');
      },
      { ttlMs: 300 },
    );

    await lockLost.promise;
    // the newer holder is another process (its own LockService): only Redis stands between the two
    const otherProcess = new LockService({ clients });
    const tokenB = await otherProcess.withLock(key, async ({ token }) => {
      await write(token, 'B');
      return token;
    });
    newerHolderWrote.resolve();

    const error = await holderA.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StaleLockError);
    expect(error).toMatchObject({ key, token: tokenA });
    expect(tokenB).toBeGreaterThan(tokenA);
    const [{ value }] = await dataSource.query('SELECT value FROM shared_record WHERE id = $1', [key]);
    expect(value).toBe('B');
    const [{ token }] = await dataSource.query('SELECT token FROM fencing_tokens WHERE key = $1', [key]);
    expect(Number(token)).toBe(tokenB);
    // A's release found B's lock gone too: logged, and it did not replace A's StaleLockError
    expect(warnings).toContain('lock release failed after its work finished');
  });

  it('gives up with LockTimeoutError after maxWaitMs, never running the waiting work', async () => {
    const key = keyFor('busy');
    const holderIn = deferred();
    const holderMayLeave = deferred();
    const holder = locks.withLock(key, async () => {
      holderIn.resolve();
      await holderMayLeave.promise;
    });
    await holderIn.promise;

    let waiterRan = false;
    const started = Date.now();
    const error = await locks
      .withLock(key, async () => {
        waiterRan = true;
      }, { maxWaitMs: 300 })
      .catch((caught: unknown) => caught);
    const waited = Date.now() - started;

    holderMayLeave.resolve();
    await holder;
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(error).toMatchObject({ key });
    expect((error as Error).message).toContain(key);
    expect(waited).toBeLessThan(1000);
    expect(waiterRan).toBe(false);
  });

  it('gives up with LockTimeoutError after maxWaitMs behind a holder of the same process too, and lets the next caller in afterwards', async () => {
    const key = keyFor('queued');
    const holderMayLeave = deferred();
    const order: string[] = [];
    const holder = locks.withLock(key, async () => {
      order.push('holder');
      await holderMayLeave.promise;
    });
    const impatient = locks.withLock(key, async () => void order.push('impatient'), { maxWaitMs: 100 }).catch((caught: unknown) => caught);
    const patient = locks.withLock(key, async () => void order.push('patient'), { maxWaitMs: 5000 });
    expect(await impatient).toBeInstanceOf(LockTimeoutError);
    holderMayLeave.resolve();
    await Promise.all([holder, patient]);
    expect(order).toEqual(['holder', 'patient']);
  });

  it('reports lock_wait_seconds by outcome and lock_hold_seconds', async () => {
    const key = keyFor('metrics');
    await locks.withLock(key, async () => {
      await expect(locks.withLock(key, async () => undefined, { maxWaitMs: 0 })).rejects.toBeInstanceOf(LockTimeoutError);
    });

    const text = await metricsRegistry.metrics();
    const count = (series: string) => Number(text.match(new RegExp(`^${series} (\\d+)$`, 'm'))?.[1] ?? 0);
    expect(count('lock_wait_seconds_count\\{outcome="acquired"\\}')).toBeGreaterThan(0);
    expect(count('lock_wait_seconds_count\\{outcome="timeout"\\}')).toBeGreaterThan(0);
    expect(count('lock_hold_seconds_count')).toBeGreaterThan(0);
    expect(text).toContain('lock_hold_seconds_bucket{le="0.005"}');
  });

  it('extends the lock while the work outlasts its ttl, refusing contenders meanwhile', async () => {
    const key = keyFor('long');
    const refused: unknown[] = [];
    const result = await locks.withLock(
      key,
      async ({ signal }) => {
        for (let check = 0; check < 4; check++) {
          await sleep(300); // 1.2 s in all, four times the ttl
          refused.push(await locks.withLock(key, async () => 'got in', { maxWaitMs: 50 }).catch((caught: unknown) => caught));
          expect(await redis.pttl(`lock:${key}`)).toBeGreaterThan(0);
        }
        return signal.aborted ? 'aborted' : 'done';
      },
      { ttlMs: 300 },
    );

    expect(result).toBe('done');
    expect(refused).toHaveLength(4);
    refused.forEach((outcome) => expect(outcome).toBeInstanceOf(LockTimeoutError));
    expect(await redis.exists(`lock:${key}`)).toBe(0);
  });

  it('keeps tokens increasing across three Redis masters, even after one loses its counter', async () => {
    // three databases of one server stand in for three independent masters
    const masters = createRedisClients([13, 14, 15].map((db) => `${TEST_REDIS_URL}/${db}`));
    const quorumLocks = new LockService({ clients: masters, options: { logger: { warn: () => undefined } } });
    const key = keyFor('quorum');
    try {
      const tokens: number[] = [];
      let inside = 0;
      let overlapped = false;
      const holders = Array.from({ length: 10 }, () =>
        quorumLocks.withLock(
          key,
          async ({ token }) => {
            tokens.push(token);
            overlapped ||= ++inside > 1;
            await sleep(5);
            inside--;
          },
          { maxWaitMs: 10000 },
        ),
      );
      await Promise.all(holders);
      // a master restarted empty: its counter is behind the others
      await masters[0].del(`fence:${key}`);
      tokens.push(await quorumLocks.withLock(key, async ({ token }) => token));

      expect(overlapped).toBe(false);
      expect(tokens).toHaveLength(11);
      tokens.slice(1).forEach((token, i) => expect(token).toBeGreaterThan(tokens[i]));
    } finally {
      await Promise.all(masters.map((master) => master.del(`fence:${key}`).catch(() => undefined)));
      await quitRedisClients(masters);
    }
  });

  it('LockingModule provides LockService, reports redis readiness, and quits its clients on shutdown', async () => {
    @Global()
    @Module({ providers: [HealthRegistry], exports: [HealthRegistry] })
    class HealthModule {}

    const app = await Test.createTestingModule({ imports: [HealthModule, LockingModule.forRoot({ urls: [TEST_REDIS_URL] })] }).compile();
    await app.init();
    const health = app.get(HealthRegistry);
    const moduleClients = app.get<Redis[]>(REDIS_CLIENTS);

    const report = await waitFor(async () => {
      const result = await health.run();
      return result.ok && result;
    }, { what: 'redis to be ready' });
    expect(report.checks.redis).toEqual({ ok: true });
    await expect(app.get(LockService).withLock(keyFor('module'), async ({ token }) => token)).resolves.toBeGreaterThan(0);

    await app.close();
    await waitFor(() => moduleClients.every((client) => client.status === 'end'), { timeoutMs: 2000, what: 'the clients to quit' });
  });
});
