import { Column, Entity, MigrationInterface, PrimaryColumn, QueryRunner } from 'typeorm';
import { Client, Connection } from 'pg';
import { dropDatabase, ensureDatabase, minorUnitsTransformer, openDatabase, runStatement, statement, writeBack } from '../src';
import { TEST_PG_BASE, uniqueSuffix } from '@ebb/testing';

@Entity('ledger_entries')
class LedgerEntry {
  @PrimaryColumn('text') id: string;
  @Column('bigint', { transformer: minorUnitsTransformer }) amount: number;
  // never written back: writeBack leaves an `update: false` column out of its UPDATE
  @Column({ type: 'text', name: 'created_by', nullable: true, update: false }) createdBy: string | null;
}

class CreateLedger1732500000100 implements MigrationInterface {
  async up(q: QueryRunner) {
    await q.query('CREATE TABLE ledger_entries (id text PRIMARY KEY, amount bigint NOT NULL, created_by text)');
  }
  async down(q: QueryRunner) {
    await q.query('DROP TABLE ledger_entries');
  }
}

async function databaseExists(name: string) {
  const client = new Client({ connectionString: `${TEST_PG_BASE}/postgres` });
  await client.connect();
  const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  await client.end();
  return rowCount === 1;
}

describe('persistence', () => {
  const name = `ebb_test_persistence_${uniqueSuffix()}`;
  const url = `${TEST_PG_BASE}/${name}`;
  afterAll(() => dropDatabase(url));

  it('creates a missing database once, even when ten processes race to create it', async () => {
    expect(await databaseExists(name)).toBe(false);
    await Promise.all(Array.from({ length: 10 }, () => ensureDatabase(url)));
    expect(await databaseExists(name)).toBe(true);
  });

  it('builds the schema only through migrations, applied once', async () => {
    const options = { url, entities: [LedgerEntry], migrations: [CreateLedger1732500000100] };
    const first = await openDatabase(options);
    await first.destroy();
    const second = await openDatabase(options);
    try {
      const applied = await second.query('SELECT name FROM migrations');
      expect(applied).toEqual([{ name: 'CreateLedger1732500000100' }]);
      expect(second.options.synchronize).toBe(false);
    } finally {
      await second.destroy();
    }
  });

  it('keeps money as exact integers in bigint columns and refuses fractions', async () => {
    const ds = await openDatabase({ url, entities: [LedgerEntry], migrations: [CreateLedger1732500000100] });
    try {
      const repo = ds.getRepository(LedgerEntry);
      await repo.save({ id: 'big', amount: 9007199254740991 });
      expect((await repo.findOneByOrFail({ id: 'big' })).amount).toBe(9007199254740991);
      await expect(repo.save({ id: 'fraction', amount: 19.99 })).rejects.toThrow(/not a whole number/);
      expect(await repo.count()).toBe(1);
    } finally {
      await ds.destroy();
    }
  });
  it('writes a loaded row back with one UPDATE by primary key, through the column transformers', async () => {
    const ds = await openDatabase({ url, entities: [LedgerEntry], migrations: [CreateLedger1732500000100] });
    try {
      await ds.getRepository(LedgerEntry).insert({ id: 'written-back', amount: 100 });
      const statements: string[] = [];
      await ds.transaction(async (manager) => {
        const entry = await manager.findOneOrFail(LedgerEntry, { where: { id: 'written-back' }, lock: { mode: 'pessimistic_write' } });
        entry.amount = 250;
        const query = manager.queryRunner!.query.bind(manager.queryRunner);
        manager.queryRunner!.query = ((sql: string, ...rest: unknown[]) => {
          statements.push(sql);
          return (query as (...args: unknown[]) => Promise<unknown>)(sql, ...rest);
        }) as typeof query;
        await writeBack(manager, entry);
        manager.queryRunner!.query = query;
      });
      expect(statements).toEqual([expect.stringMatching(/^UPDATE "ledger_entries" SET "amount" = \$1 WHERE "id" = \$2/)]);
      expect((await ds.getRepository(LedgerEntry).findOneByOrFail({ id: 'written-back' })).amount).toBe(250);

      const fraction = Object.assign(new LedgerEntry(), { id: 'written-back', amount: 1.5 });
      await expect(ds.transaction((manager) => writeBack(manager, fraction))).rejects.toThrow(/not a whole number/);
      const missing = Object.assign(new LedgerEntry(), { id: 'no-such-entry', amount: 1 });
      await expect(ds.transaction((manager) => writeBack(manager, missing))).rejects.toThrow(/matched 0 rows/);
      expect((await ds.getRepository(LedgerEntry).findOneByOrFail({ id: 'written-back' })).amount).toBe(250);
    } finally {
      await ds.destroy();
    }
  });

  it('sends a transaction’s START TRANSACTION with its first statement, unanswered, and runs that statement inside it', async () => {
    const ds = await openDatabase({ url, entities: [LedgerEntry], migrations: [CreateLedger1732500000100], poolSize: 1 });
    const seen: string[] = [];
    // what node-postgres writes to the socket (statements without parameters go as one Query message)…
    const write = Connection.prototype.query;
    const writes = jest.spyOn(Connection.prototype, 'query').mockImplementation(function (this: Connection, text: string) {
      seen.push(`written ${text}`);
      return write.call(this, text);
    });
    // …and each answer PostgreSQL finishes (ReadyForQuery), in order
    const emit = Connection.prototype.emit;
    const answers = jest.spyOn(Connection.prototype, 'emit').mockImplementation(function (this: Connection, event: string | symbol, ...args: unknown[]) {
      if (event === 'readyForQuery') seen.push('answered');
      return emit.call(this, event, ...args);
    });
    try {
      await ds.transaction(async (manager) => {
        await manager.query(`INSERT INTO ledger_entries (id, amount) VALUES ('pipelined', 1)`);
        await manager.query(`UPDATE ledger_entries SET amount = 2 WHERE id = 'pipelined'`);
      });
      // the first statement is written before START TRANSACTION is answered: one round trip for the two
      expect(seen).toEqual([
        'written START TRANSACTION',
        `written INSERT INTO ledger_entries (id, amount) VALUES ('pipelined', 1)`,
        'answered',
        'answered',
        `written UPDATE ledger_entries SET amount = 2 WHERE id = 'pipelined'`,
        'answered',
        'written COMMIT',
        'answered',
      ]);

      // the first statement ran inside the transaction: a rollback takes it back
      await expect(
        ds.transaction(async (manager) => {
          await manager.query(`INSERT INTO ledger_entries (id, amount) VALUES ('rolled-back', 1)`);
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      expect(await ds.getRepository(LedgerEntry).findOneBy({ id: 'rolled-back' })).toBeNull();

      // a transaction that ran nothing sends nothing
      seen.length = 0;
      await ds.transaction(async () => undefined);
      expect(seen).toEqual([]);
    } finally {
      writes.mockRestore();
      answers.mockRestore();
      await ds.destroy();
    }
  });

  it('runs a hot query as a named statement prepared once per connection, in a transaction and from the pool', async () => {
    const ds = await openDatabase({ url, entities: [LedgerEntry], migrations: [CreateLedger1732500000100], poolSize: 1 });
    try {
      const add = statement('test-ledger-add', `UPDATE ledger_entries SET amount = amount + $2 WHERE id = $1`);
      await ds.getRepository(LedgerEntry).insert({ id: 'prepared', amount: 0 });
      const prepared = await ds.transaction(async (manager) => {
        const [, first] = await runStatement<[unknown, number]>(manager, add, ['prepared', '5']);
        const [, second] = await runStatement<[unknown, number]>(manager, add, ['prepared', '7']);
        expect([first, second]).toEqual([1, 1]);
        return manager.query(`SELECT name, statement FROM pg_prepared_statements`);
      });
      // one statement of that name on the connection, however often it ran
      expect(prepared).toEqual([{ name: 'test-ledger-add', statement: add.text }]);
      await runStatement(ds, add, ['prepared', '1']);
      expect((await ds.getRepository(LedgerEntry).findOneByOrFail({ id: 'prepared' })).amount).toBe(13);
      // a second statement under a name already taken would run the first one's text: refused
      expect(() => statement('test-ledger-add', `DELETE FROM ledger_entries`)).toThrow(/declared twice/);
    } finally {
      await ds.destroy();
    }
  });
});
