import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');

function start(env: Record<string, string>) {
  const { PATH, HOME } = process.env;
  const result = spawnSync(process.execPath, ['-r', './tools/register.js', 'libs/config/test/fixture-main.ts'], {
    cwd: root,
    env: { PATH, HOME, ...env },
    encoding: 'utf8',
    timeout: 30000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.trim() };
}

describe('a service started with bad configuration', () => {
  it('starts with the local defaults', () => {
    const run = start({});
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('started\n');
    expect(run.status).toBe(0);
  });

  it('exits 1 with one line naming a malformed database URL', () => {
    const run = start({ DATABASE_URL: 'not-a-url' });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('config error: DATABASE_URL must be a URL like postgres://user@host:5432/db');
  });

  it('exits 1 naming, one line each, every required secret that is not set', () => {
    const run = start({ NODE_ENV: 'production' });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('config error: EBB_JWT_SECRET is required in production\nconfig error: EBB_SERVICE_SECRET is required in production');
  });

  it('exits 1 naming a development secret given in production', () => {
    const run = start({ NODE_ENV: 'production', EBB_JWT_SECRET: 'ebb-dev-secret', EBB_SERVICE_SECRET: 'a-service-secret' });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('config error: EBB_JWT_SECRET is the development default, which must not be used in production');
  });

  it('exits 1 naming a malformed number', () => {
    const run = start({ OUTBOX_BATCH_SIZE: '-5' });
    expect(run.status).toBe(1);
    expect(run.stderr.split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^config error: OUTBOX_BATCH_SIZE /);
  });
});
