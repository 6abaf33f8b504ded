// What a refusal must leave as it was: every row of every service's database, read directly.
import { Client } from 'pg';
import { type PlatformApp, type TestPlatform, waitFor } from '@ebb/testing';

const SERVICES: PlatformApp[] = ['order', 'payment', 'refund', 'inventory', 'notification'];

// bookkeeping that may change with no effect: a refusal is stored as its key's answer (so a repeat
// gets it again), a migration run, a lock's fencing counter, and the audit's record of a staff member's
// refused attempt (recording it is the audit's purpose: refund-service's edge.spec asserts it)
const NOT_STATE = new Set(['idempotency_keys', 'migrations', 'fencing_tokens', 'audit_log']);

/** One digest per table: its row count and a hash of its rows, so any insert, update or delete shows. */
export type Fingerprint = Record<string, string>;

export class PlatformState {
  private readonly clients = new Map<PlatformApp, Client>();

  constructor(private readonly platform: TestPlatform) {}

  async open(): Promise<void> {
    for (const app of SERVICES) {
      const client = new Client({ connectionString: this.platform.databaseUrl(app) });
      // the platform drops its databases when it stops, perhaps before this closes: that is no error
      client.on('error', () => undefined);
      await client.connect();
      this.clients.set(app, client);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((client) => client.end().catch(() => undefined)));
  }

  async fingerprint(): Promise<Fingerprint> {
    const digest: Fingerprint = {};
    for (const [app, client] of this.clients) {
      const tables = await client.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
      for (const { name } of tables.rows) {
        if (NOT_STATE.has(name)) continue;
        const { rows } = await client.query<{ n: number; h: string }>(
          `SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h FROM "${name}" t`,
        );
        digest[`${app}.${name}`] = `${rows[0].n}:${rows[0].h}`;
      }
    }
    return digest;
  }

  /** Waits until nothing changes for a while (the effects of an accepted request are asynchronous), and returns that state. */
  async settled(quietMs = 400, timeoutMs = 20_000): Promise<Fingerprint> {
    let last = await this.fingerprint();
    return waitFor(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, quietMs));
        const now = await this.fingerprint();
        const same = JSON.stringify(now) === JSON.stringify(last);
        last = now;
        return same && now;
      },
      { what: 'the platform to settle', timeoutMs, intervalMs: 0 },
    );
  }
}

/** The tables whose digest differs between two fingerprints. */
export function changedTables(before: Fingerprint, after: Fingerprint): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((name) => before[name] !== after[name]).sort();
}
