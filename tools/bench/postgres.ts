// PostgreSQL as a deployment would run it. This machine's server is configured with autovacuum off
// (a CI setting, /etc/postgresql/*/main/conf.d); Ebb's outbox, inbox and notification tables churn,
// and without vacuum their dead rows make every scan slower as a run goes on. The bench turns
// autovacuum on for its run, vacuums the leftovers of earlier runs first, and restores the setting.
import { Client } from 'pg';

/** Turns autovacuum on if it is off; returns how to put the setting back as it was. */
export async function ensureAutovacuum(pg: Client, log: (line: string) => void): Promise<() => Promise<void>> {
  const [setting] = (await pg.query(`SELECT setting, sourcefile FROM pg_settings WHERE name = 'autovacuum'`)).rows;
  if (setting.setting === 'on') return async () => undefined;
  log('PostgreSQL runs with autovacuum off here: turned on for the run (ALTER SYSTEM), restored at the end');
  const viaAlterSystem = String(setting.sourcefile ?? '').endsWith('postgresql.auto.conf');
  await pg.query(`ALTER SYSTEM SET autovacuum = on`);
  await pg.query(`SELECT pg_reload_conf()`);
  return async () => {
    await pg.query(viaAlterSystem ? `ALTER SYSTEM SET autovacuum = off` : `ALTER SYSTEM RESET autovacuum`);
    await pg.query(`SELECT pg_reload_conf()`);
  };
}

/** VACUUM (ANALYZE) every Ebb database of the platform (not the tests'), so a run starts without old bloat. */
export async function vacuumEbb(pg: Client, baseUrl: string, log: (line: string) => void): Promise<void> {
  const databases: string[] = (
    await pg.query(`SELECT datname FROM pg_database WHERE datname LIKE 'ebb\\_%' AND datname NOT LIKE 'ebb\\_test%' ORDER BY 1`)
  ).rows.map((row) => row.datname);
  for (const database of databases) {
    log(`vacuuming ${database}`);
    const client = new Client({ connectionString: `${baseUrl}/${database}` });
    await client.connect();
    try {
      await client.query('VACUUM (ANALYZE)');
    } finally {
      await client.end();
    }
  }
}
