import type { DataSource, QueryRunner } from 'typeorm';

/** What of TypeORM's PostgreSQL query runner this file relies on (its protected members included). */
type PostgresRunner = Omit<QueryRunner, 'isTransactionActive'> & {
  isTransactionActive: boolean;
  transactionDepth: number;
  broadcaster: { broadcast(event: 'BeforeTransactionStart' | 'AfterTransactionStart'): Promise<void> };
  connect(): Promise<{ query(text: string): Promise<unknown> }>;
};

const PATCHED = Symbol.for('ebb.pipelined-begin');

/**
 * A transaction's `START TRANSACTION` goes out with its first statement instead of on its own. TypeORM
 * sends it and waits for the answer before the first statement; with node-postgres's pipeline mode
 * (`pipeline: true`, see `dataSourceOptions`) the two are written back to back and answered together:
 * one round trip less per transaction, for the service and for PostgreSQL. The first statement is
 * written behind the `START TRANSACTION` on the same connection, so PostgreSQL runs it inside the
 * transaction; the answer of the first statement is returned only once the `START TRANSACTION` has
 * succeeded too. A transaction that ran no statement sends nothing at all.
 */
export function pipelineTransactionStart(dataSource: DataSource): void {
  const driver = dataSource.driver as unknown as { createQueryRunner(mode: unknown): QueryRunner; [PATCHED]?: true };
  if (driver[PATCHED]) return;
  driver[PATCHED] = true;
  const create = driver.createQueryRunner.bind(driver);
  driver.createQueryRunner = (mode) => beginWithFirstStatement(create(mode) as unknown as PostgresRunner);
}

function beginWithFirstStatement(runner: PostgresRunner): QueryRunner {
  const start = runner.startTransaction.bind(runner);
  const query = runner.query.bind(runner) as (text: string, parameters?: unknown[], structured?: boolean) => Promise<unknown>;
  let beginDue = false;

  runner.startTransaction = async (isolationLevel) => {
    // a savepoint, or a transaction with its own isolation level, starts as TypeORM starts it
    if (runner.transactionDepth > 0 || isolationLevel) return start(isolationLevel);
    runner.isTransactionActive = true;
    try {
      await runner.broadcaster.broadcast('BeforeTransactionStart');
    } catch (error) {
      runner.isTransactionActive = false;
      throw error;
    }
    beginDue = true;
    runner.transactionDepth += 1;
    await runner.broadcaster.broadcast('AfterTransactionStart');
  };

  runner.query = (async (text: string, parameters?: unknown[], structured?: boolean) => {
    if (!beginDue) return query(text, parameters, structured);
    beginDue = false;
    // nothing ran: there is nothing to commit or roll back
    if (text === 'COMMIT' || text === 'ROLLBACK') return [];
    const connection = await runner.connect();
    // handed to node-postgres before the statement, so it is written (and run) first
    const begin = connection.query('START TRANSACTION');
    const [started, answered] = await Promise.allSettled([begin, query(text, parameters, structured)]);
    if (started.status === 'rejected') throw started.reason;
    if (answered.status === 'rejected') throw answered.reason;
    return answered.value;
  }) as QueryRunner['query'];

  return runner as unknown as QueryRunner;
}
