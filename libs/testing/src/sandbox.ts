import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from './platform';

const REPO_ROOT = path.resolve(__dirname, '../../..');

/**
 * The sandbox (the provider's and the carrier's stand-in) as a child process, the way development
 * runs it, on `port` with `env` on top of a test environment; resolves once it listens.
 */
export async function startSandbox(port: number, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-r', './tools/register.js', 'apps/sandbox/src/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: String(port), SMTP_PORT: String(await freePort()), NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sandbox did not start:\n${output}`)), 20000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('sandbox listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sandbox exited with ${code}:\n${output}`));
    });
  });
  return child;
}
