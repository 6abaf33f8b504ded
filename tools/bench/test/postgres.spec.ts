import { Client } from 'pg';
import { TEST_PG_BASE, waitFor } from '@ebb/testing';
import { ensureAutovacuum } from '../postgres';

const autovacuum = async (pg: Client) => (await pg.query('SHOW autovacuum')).rows[0].autovacuum as string;

/** The setting as a new session sees it, once the postmaster has taken the reload (it is signalled, not awaited). */
async function settles(expected: string) {
  await waitFor(async () => {
    const fresh = new Client({ connectionString: `${TEST_PG_BASE}/postgres` });
    await fresh.connect();
    try {
      return (await autovacuum(fresh)) === expected;
    } finally {
      await fresh.end();
    }
  }, { what: `autovacuum ${expected}`, timeoutMs: 5000 });
}

describe('PostgreSQL as the bench runs it', () => {
  let pg: Client;
  beforeAll(async () => {
    pg = new Client({ connectionString: `${TEST_PG_BASE}/postgres` });
    await pg.connect();
  });
  afterAll(() => pg.end());

  it('turns autovacuum on for the run and puts the setting back as it was', async () => {
    const before = await autovacuum(pg);
    const lines: string[] = [];
    const restore = await ensureAutovacuum(pg, (line) => lines.push(line));
    try {
      await settles('on');
      expect(lines.length).toBe(before === 'off' ? 1 : 0);
    } finally {
      await restore();
    }
    await settles(before);
  });
});
