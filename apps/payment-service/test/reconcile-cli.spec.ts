import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PaymentWorld } from './payment-world';

const ROOT = path.resolve(__dirname, '../../..');

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', './tools/register.js', 'tools/reconcile/reconcile.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('npm run reconcile against payment-service', () => {
  const world = new PaymentWorld();

  beforeAll(() => world.start());
  afterAll(() => world.stop());

  it('reconciles a day through the admin API and writes the report as JSON and CSV', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'ebb-reconcile-'));
    const { code, output } = await run(['--date', '2026-01-01', '--provider', 'stripe', '--out', out, '--url', world.app.url]);
    expect(output).toMatch(/matched 0, differences 0/);
    expect(code).toBe(0);
    const files = readdirSync(out).sort();
    expect(files).toEqual([expect.stringMatching(/^2026-01-01-stripe-rec_\w+\.csv$/), expect.stringMatching(/^2026-01-01-stripe-rec_\w+\.json$/)]);
    expect(JSON.parse(readFileSync(path.join(out, files[1]), 'utf8'))).toMatchObject({ date: '2026-01-01', provider: 'stripe', status: 'done', differences: [] });
    expect(readFileSync(path.join(out, files[0]), 'utf8')).toMatch(/^kind,object,provider,/);
    const bad = await run(['--date', '2026-13-45', '--url', world.app.url]);
    expect(bad.code).toBe(1);
    expect(bad.output).toMatch(/refused the reconciliation \(400\)/);
  });
});
