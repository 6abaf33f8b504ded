import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import Stripe from 'stripe';

const root = path.resolve(__dirname, '../../..');

/** Starts `node -r ./tools/register.js apps/sandbox/src/main.ts` as other services' tests do. */
function run(env: Record<string, string>) {
  const child = spawn(process.execPath, ['-r', './tools/register.js', 'apps/sandbox/src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', () => {
      const match = stdout.match(/^sandbox listening on (\d+)$/m);
      if (match) resolve(Number(match[1]));
    });
    void exited.then((code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
  return { child, ready, exited, output: () => ({ stdout, stderr }) };
}

describe('sandbox main', () => {
  let child: ChildProcess | undefined;

  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('prints "sandbox listening on <port>" when ready and serves the stripe SDK', async () => {
    const started = run({ PORT: '0', SMTP_PORT: '0', NODE_ENV: 'test' });
    child = started.child;
    const port = await started.ready;
    const stripe = new Stripe('sk_test_ebb_local', { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 });
    await expect(stripe.paymentIntents.create({ amount: 1000, currency: 'usd' })).resolves.toMatchObject({ status: 'requires_payment_method' });
    child.kill('SIGTERM');
    await started.exited;
  });

  it('refuses to start when NODE_ENV=production', async () => {
    const started = run({ PORT: '0', SMTP_PORT: '0', NODE_ENV: 'production' });
    child = started.child;
    expect(await started.exited).toBe(1);
    expect(started.output().stderr).toContain('NODE_ENV');
    expect(started.output().stdout).not.toContain('listening');
    await expect(started.ready).rejects.toThrow();
  });
});
