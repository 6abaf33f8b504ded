import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { TEST_PG_BASE } from '@ebb/testing';
import type { ChaosRecord } from '../report';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * A real one-minute run, as `npm run chaos` makes it: its own platform and Prometheus, every service
 * killed once and the sandbox's faults, but neither broker drops nor a Redis restart, since other test
 * files share those servers. About two minutes on a 2-core machine.
 */
describe('npm run chaos, one minute', () => {
  it('injects the faults, loses and doubles no refund, and cleans up after itself', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ebb-chaos-test-'));
    try {
      const json = path.join(dir, 'run.json');
      const args = ['-r', './tools/register.js', 'tools/chaos/chaos.ts', '--minutes', '1', '--rate', '0.5', '--seed', '1', '--no-redis-restart', '--no-broker-drops', '--settle-minutes', '2.5', '--json', json];
      const output: string[] = [];
      const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      if (code !== 0) throw new Error(`chaos exited ${code}:\n${output.join('').slice(-6000)}`);

      const record = JSON.parse(readFileSync(json, 'utf8')) as ChaosRecord;
      expect(record.ledger).toMatchObject({ ok: true, lost: 0, doubled: 0, unfinished: 0 });
      expect(record.refunds.driver.accepted).toBeGreaterThan(20);
      const injected = new Set(record.faults.filter((f) => f.ok).map((f) => f.kind));
      for (const kind of ['kill-order', 'kill-payment', 'kill-refund', 'kill-inventory', 'kill-notification', 'provider-latency', 'provider-errors', 'duplicate-webhooks', 'reorder-webhooks', 'slow-carrier', 'provider-outage']) {
        expect(injected).toContain(kind);
      }
      expect(record.schedule.skipped.sort()).toEqual(['broker-drop', 'redis-restart']);
      expect(record.expectations.map((e) => e.name)).toEqual(['the provider outage fired RefundFailureRateHigh', 'the calm stretch fired no alert']);
      // the run's Prometheus is gone with its temp dir, the platform with its databases
      expect(existsSync(record.alerts.dir)).toBe(false);
      await expect(fetch(`${record.alerts.prometheus}/-/ready`)).rejects.toThrow();
      const pg = new Client({ connectionString: `${TEST_PG_BASE}/postgres` });
      await pg.connect();
      try {
        const { rows } = await pg.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`%${record.platform.suffix}`]);
        expect(rows).toEqual([]);
      } finally {
        await pg.end();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 420_000);
});
