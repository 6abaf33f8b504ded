import { Client } from 'pg';
import { DataSource, type DataSourceOptions, type EntitySchema, type MixedList } from 'typeorm';
import { pipelineTransactionStart } from './pipelined-begin';

type EntityList = MixedList<Function | string | EntitySchema>;

export interface DatabaseOptions {
  url: string;
  entities: EntityList;
  migrations: MixedList<Function | string>;
  poolSize?: number;
  applicationName?: string;
}

/** The database a URL names, and the same URL pointed at the server's maintenance database. */
function splitUrl(url: string): { database: string; adminUrl: string } {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database) throw new Error(`database URL names no database: ${parsed.host}`);
  parsed.pathname = '/postgres';
  return { database, adminUrl: parsed.toString() };
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Creates the database if it does not exist; safe when several processes race to create it. */
export async function ensureDatabase(url: string): Promise<void> {
  const { database, adminUrl } = splitUrl(url);
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount) return;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(database)}`);
    } catch (error) {
      // 42P04 duplicate_database, 23505 unique_violation: another process created it first
      const code = (error as { code?: string }).code;
      if (code !== '42P04' && code !== '23505') throw error;
    }
  } finally {
    await client.end();
  }
}

/** Drops a database, closing whatever still holds it (test teardown). */
export async function dropDatabase(url: string): Promise<void> {
  const { database, adminUrl } = splitUrl(url);
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** TypeORM options for one service's database; the schema comes only from migrations. */
export function dataSourceOptions(options: DatabaseOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: options.url,
    entities: options.entities,
    migrations: options.migrations,
    synchronize: false,
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    poolSize: options.poolSize ?? 10,
    applicationName: options.applicationName,
    logging: ['error'],
    // node-postgres writes a statement without waiting for the previous one's answer: a transaction's
    // START TRANSACTION and its first statement travel together (pipelineTransactionStart)
    extra: { pipeline: true },
  };
}

/** Creates the database when missing, connects, and applies pending migrations. */
export async function openDatabase(options: DatabaseOptions): Promise<DataSource> {
  await ensureDatabase(options.url);
  const dataSource = new DataSource(dataSourceOptions(options));
  pipelineTransactionStart(dataSource);
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

/** The body of an app's `migrate.ts`: create the database if needed, apply migrations, report, exit. */
export async function migrateAndExit(options: DatabaseOptions): Promise<void> {
  try {
    const dataSource = await openDatabase(options);
    const applied = await dataSource.query(`SELECT count(*)::int AS n FROM migrations`);
    process.stdout.write(`${new URL(options.url).pathname.slice(1)}: up to date (${applied[0].n} migrations applied)\n`);
    await dataSource.destroy();
    process.exit(0);
  } catch (error) {
    process.stderr.write(`migration failed: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
