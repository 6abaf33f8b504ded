import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { Client } from 'pg';
import { metricsRegistry } from '@ebb/observability';
import { openDatabase } from '@ebb/persistence';
import { type TestDatabase, freshDatabase, sleep, waitFor } from '@ebb/testing';
import { CallRefusedError, type CallHandler, OutboundCalls, defineCall, outboundMigrations, recordCall } from '../src';

class Results1764000009100 implements MigrationInterface {
  async up(q: QueryRunner) {
    await q.query(`CREATE TABLE results (key text NOT NULL, outcome text NOT NULL, attempt int NOT NULL)`);
  }
  async down(q: QueryRunner) {
    await q.query(`DROP TABLE results`);
  }
}

/** A call kind of the test's own, tried quickly; its "remote side" is a function the test steers. */
const Ping = defineCall<{ n: number }>('test.ping', { maxAttempts: 3, backoffMs: () => 50, leaseMs: 300 });
/** Stands for the context of a request being handled (its Idempotency-Key, its correlation id). */
const requestContext = new AsyncLocalStorage<string>();

describe('outbound calls: record the intent, claim with a lease, call outside any transaction, record the result', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let calls: OutboundCalls;
  let remote: (key: string, attempt: number) => Promise<string>;
  const made: { key: string; attempt: number; openTransactions: number; claimCommitted: boolean }[] = [];
  /** the request context each call and each recorded end ran in */
  const contexts: { key: string; step: 'call' | 'end'; context: string | undefined }[] = [];
  let observer: Client;

  const handler: CallHandler<{ n: number }, string> = {
    async call(call) {
      // seen from another connection: the claim committed, and this process holds no transaction open
      const [{ open }] = (await observer.query(
        `SELECT count(*)::int AS open FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()`,
      )).rows;
      const claim = await observer.query(`SELECT status FROM outbound_calls WHERE id = $1`, [call.id]);
      made.push({ key: call.key, attempt: call.attempt, openTransactions: open, claimCommitted: claim.rows[0]?.status === 'calling' });
      contexts.push({ key: call.key, step: 'call', context: requestContext.getStore() });
      return remote(call.key, call.attempt);
    },
    async onResult(manager, call, result) {
      if (result === 'poison') throw new Error('the handler cannot record this one');
      contexts.push({ key: call.key, step: 'end', context: requestContext.getStore() });
      await manager.query(`INSERT INTO results VALUES ($1, $2, $3)`, [call.key, `done:${result}`, call.attempt]);
    },
    async onRefused(manager, call, error) {
      await manager.query(`INSERT INTO results VALUES ($1, $2, $3)`, [call.key, `refused:${error.message}`, call.attempt]);
    },
    async onParked(manager, call, error) {
      await manager.query(`INSERT INTO results VALUES ($1, $2, $3)`, [call.key, `parked:${error.message}`, call.attempt]);
    },
  };

  const record = (key: string, options: { claim?: boolean | 'on-commit' } = {}) =>
    dataSource.transaction((manager) => recordCall(manager, Ping, key, { n: 1 }, options));
  const resultsOf = async (key: string) => dataSource.query(`SELECT outcome, attempt FROM results WHERE key = $1 ORDER BY attempt`, [key]);
  const statusOf = async (key: string) => (await dataSource.query(`SELECT status, attempts FROM outbound_calls WHERE key = $1`, [key]))[0];

  beforeAll(async () => {
    db = await freshDatabase('outbound');
    dataSource = await openDatabase({ url: db.url, entities: [], migrations: [...outboundMigrations, Results1764000009100] });
    observer = new Client({ connectionString: db.url });
    await observer.connect();
    calls = new OutboundCalls(dataSource, { pollMs: 100, concurrency: 4 }).handle(Ping, handler);
    calls.start();
  });
  afterAll(async () => {
    await calls?.stop();
    await observer?.end();
    await dataSource?.destroy();
    await db?.drop();
  });
  beforeEach(() => {
    remote = async () => 'pong';
  });

  it('makes a call only once its transaction commits, outside any transaction, and records the answer once', async () => {
    await dataSource
      .transaction(async (manager) => {
        await recordCall(manager, Ping, 'rolled-back', { n: 1 });
        throw new Error('the decision is undone');
      })
      .catch(() => undefined);
    await record('committed');
    await waitFor(async () => (await resultsOf('committed')).length === 1, { what: 'the call to be made' });
    await sleep(300);
    expect(await resultsOf('committed')).toEqual([{ outcome: 'done:pong', attempt: 1 }]);
    expect(await resultsOf('rolled-back')).toEqual([]);
    expect(made.filter((m) => m.key === 'committed')).toEqual([{ key: 'committed', attempt: 1, openTransactions: 0, claimCommitted: true }]);
    expect(await statusOf('committed')).toEqual({ status: 'done', attempts: 1 });
  });

  it('records the same call once, whatever records it again', async () => {
    await record('twice');
    await record('twice');
    await waitFor(async () => (await statusOf('twice')).status === 'done', { what: 'the call' });
    expect(await resultsOf('twice')).toHaveLength(1);
  });

  it('tries an unknown outcome again with backoff, then succeeds', async () => {
    remote = async (key, attempt) => {
      if (attempt < 3) throw new Error(`timeout ${attempt}`);
      return 'late pong';
    };
    await record('flaky');
    await waitFor(async () => (await statusOf('flaky')).status === 'done', { what: 'the third attempt' });
    expect(await resultsOf('flaky')).toEqual([{ outcome: 'done:late pong', attempt: 3 }]);
  });

  it('parks a call whose every attempt failed, tells its handler, and counts it for the alert', async () => {
    remote = async () => {
      throw new Error('connection refused');
    };
    await record('down');
    await waitFor(async () => (await statusOf('down')).status === 'parked', { what: 'the call to be parked' });
    expect(await statusOf('down')).toEqual({ status: 'parked', attempts: 3 });
    expect(await resultsOf('down')).toEqual([{ outcome: 'parked:connection refused', attempt: 3 }]);
    expect(await metricsRegistry.metrics()).toMatch(/outbound_calls_parked\{kind="test.ping"\} 1/);
  });

  it('ends a refused call at once: trying again cannot help', async () => {
    remote = async () => {
      throw new CallRefusedError('no such parcel');
    };
    await record('refused');
    await waitFor(async () => (await statusOf('refused')).status === 'done', { what: 'the refusal' });
    expect(await resultsOf('refused')).toEqual([{ outcome: 'refused:no such parcel', attempt: 1 }]);
  });

  it('makes a call claimed by its recorder at once, and makes it again after its lease when the recorder died', async () => {
    const claimed = await record('fast', { claim: true });
    await calls.runClaimed(claimed);
    expect(await resultsOf('fast')).toEqual([{ outcome: 'done:pong', attempt: 1 }]);

    // claimed, then the process "died" before calling: the lease (300 ms) runs out and the loop makes it
    await record('orphan', { claim: true });
    await waitFor(async () => (await statusOf('orphan')).status === 'done', { what: 'the orphaned call' });
    expect(await resultsOf('orphan')).toEqual([{ outcome: 'done:pong', attempt: 2 }]);
  });

  it('makes a call and records its end in its own context, never in the request that recorded or woke it', async () => {
    // two requests' calls end together: their ends share a transaction, which must belong to neither request
    remote = async () => {
      await sleep(50);
      return 'pong';
    };
    await Promise.all(
      ['context-a', 'context-b'].map((key) =>
        requestContext.run(`request ${key}`, async () => {
          const claimed = await record(key, { claim: true });
          await calls.runClaimed(claimed);
          // the request's own context is intact around the call it made
          expect(requestContext.getStore()).toBe(`request ${key}`);
        }),
      ),
    );
    await requestContext.run('request c', () => record('context-c', { claim: 'on-commit' }));
    await waitFor(async () => (await resultsOf('context-c')).length === 1, { what: 'the handed-over call' });
    const seen = contexts.filter((entry) => entry.key.startsWith('context-'));
    expect(seen).toHaveLength(6);
    expect(seen.map((entry) => entry.context)).toEqual(seen.map(() => undefined));
  });

  it('records nothing for a slow attempt whose lease ran out and was claimed again', async () => {
    let first = true;
    remote = async () => {
      if (first) {
        first = false;
        await sleep(700);
        return 'too late';
      }
      return 'second';
    };
    await record('slow');
    await waitFor(async () => (await statusOf('slow')).status === 'done', { what: 'the second attempt' });
    await sleep(800);
    expect(await resultsOf('slow')).toEqual([{ outcome: 'done:second', attempt: 2 }]);
  });

  it('hands a call recorded with claim on-commit to this loop at its commit, and never makes a rolled-back one', async () => {
    await dataSource
      .transaction(async (manager) => {
        await recordCall(manager, Ping, 'handed-rolled-back', { n: 1 }, { claim: 'on-commit' });
        throw new Error('undone');
      })
      .catch(() => undefined);
    await record('handed', { claim: 'on-commit' });
    await waitFor(async () => (await resultsOf('handed')).length === 1, { what: 'the handed-over call' });
    await sleep(400); // past the 300 ms lease: nothing makes it again
    expect(await resultsOf('handed')).toEqual([{ outcome: 'done:pong', attempt: 1 }]);
    expect(made.filter((m) => m.key === 'handed')).toEqual([{ key: 'handed', attempt: 1, openTransactions: 0, claimCommitted: true }]);
    expect(await resultsOf('handed-rolled-back')).toEqual([]);
    expect(await statusOf('handed-rolled-back')).toBeUndefined();
  });

  it('records each of many calls that end together (their ends share transactions), and one whose handler fails holds up no other', async () => {
    remote = async (key) => (key === 'group-7' ? 'poison' : 'pong');
    const keys = Array.from({ length: 20 }, (_, i) => `group-${i}`);
    await Promise.all(keys.map((key) => record(key, { claim: 'on-commit' })));
    await waitFor(async () => (await dataSource.query(`SELECT count(*)::int AS n FROM results WHERE key LIKE 'group-%'`))[0].n === 19, {
      what: 'the 19 good calls to be recorded',
    });
    for (const key of keys.filter((k) => k !== 'group-7')) expect(await statusOf(key)).toEqual({ status: 'done', attempts: 1 });
    // the poisoned one was not recorded: it stays claimed, its lease runs out and it is tried again, up to its attempts
    await waitFor(async () => (await statusOf('group-7')).attempts >= 2, { what: 'the unrecorded call to be claimed again' });
    expect(await resultsOf('group-7')).toEqual([]);
  });

  it('gives back the calls handed over but not made when the loop stops: another loop makes them', async () => {
    const Slow = defineCall<{ n: number }>('test.slow', { maxAttempts: 3, backoffMs: () => 50, leaseMs: 60_000 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const seen: string[] = [];
    const slowHandler: CallHandler<{ n: number }, string> = {
      async call(call) {
        seen.push(`${call.key}:${call.attempt}`);
        await gate;
        return 'late';
      },
      onResult: (manager, call, result) => manager.query(`INSERT INTO results VALUES ($1, $2, $3)`, [call.key, `done:${result}`, call.attempt]),
    };
    const first = new OutboundCalls(dataSource, { pollMs: 60_000, concurrency: 1 }).handle(Slow, slowHandler);
    first.start();
    await dataSource.transaction((manager) => recordCall(manager, Slow, 'slow-1', { n: 1 }, { claim: 'on-commit' }));
    await dataSource.transaction((manager) => recordCall(manager, Slow, 'slow-2', { n: 1 }, { claim: 'on-commit' }));
    await waitFor(() => seen.length === 1, { what: 'the first call to be made' });
    const stopping = first.stop();
    release();
    await stopping;
    // slow-2 was handed over but never made: due again, as if never claimed (no 60 s lease to wait for)
    expect(await statusOf('slow-2')).toEqual({ status: 'due', attempts: 0 });
    const second = new OutboundCalls(dataSource, { pollMs: 100, concurrency: 1 }).handle(Slow, slowHandler);
    second.start();
    try {
      await waitFor(async () => (await resultsOf('slow-2')).length === 1, { what: 'the other loop to make it' });
    } finally {
      await second.stop();
    }
    expect(seen).toEqual(['slow-1:1', 'slow-2:1']);
    expect(await resultsOf('slow-1')).toEqual([{ outcome: 'done:late', attempt: 1 }]);
  });

  it('asks the table for due calls only when some may wait there: not for calls handed over, nor when a call ends', async () => {
    const Quiet = defineCall<{ n: number }>('test.quiet', { maxAttempts: 3, backoffMs: () => 50, leaseMs: 60_000 });
    const quietHandler: CallHandler<{ n: number }, string> = {
      call: async () => 'pong',
      onResult: (manager, call, result) => manager.query(`INSERT INTO results VALUES ($1, $2, $3)`, [call.key, `done:${result}`, call.attempt]),
    };
    // every claim this loop sends (a named statement whose first value lists the loop's kinds)
    let claims = 0;
    const query = dataSource.query.bind(dataSource);
    dataSource.query = ((sql: unknown, values?: unknown[]) => {
      if ((sql as { name?: string }).name === 'outbound-claim' && JSON.stringify(values?.[0]) === '["test.quiet"]') claims++;
      return query(sql as string, values);
    }) as typeof dataSource.query;
    // no poll during the test: a claim it sees comes from a wake
    const quiet = new OutboundCalls(dataSource, { pollMs: 600_000, concurrency: 4 }).handle(Quiet, quietHandler);
    quiet.start();
    try {
      await waitFor(() => claims === 1, { what: 'the claim at start' });
      for (const key of ['quiet-1', 'quiet-2', 'quiet-3']) {
        await dataSource.transaction((manager) => recordCall(manager, Quiet, key, { n: 1 }, { claim: 'on-commit' }));
        await waitFor(async () => (await resultsOf(key)).length === 1, { what: `${key} to be made` });
      }
      await sleep(100);
      expect(claims).toBe(1);
      // a call recorded due (no claim): its commit makes the loop ask, so it is made at once, not at the next poll
      await dataSource.transaction((manager) => recordCall(manager, Quiet, 'quiet-due', { n: 1 }));
      await waitFor(async () => (await resultsOf('quiet-due')).length === 1, { what: 'the due call to be made' });
      expect(claims).toBe(2);
    } finally {
      await quiet.stop();
      dataSource.query = query;
    }
  });
});
