// Restarts the machine's Redis as the CI starts it: the locks every refund takes vanish for a moment.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Exactly how the machine's Redis is started (`--save ""`: nothing on disk to come back from). */
export const REDIS_START_ARGS = ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', '6379', '--save', '', '--appendonly', 'no', '--dir', '/var/lib/redis', '--logfile', '/var/log/redis/ci.log'];

async function answers(): Promise<boolean> {
  return run('redis-cli', ['-p', '6379', 'ping'], { timeout: 5000 }).then(
    ({ stdout }) => stdout.trim() === 'PONG',
    () => false,
  );
}

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** Shuts Redis down without saving, leaves it down for `downMs`, starts it again and waits for its PONG. */
export async function restartRedis(downMs: number): Promise<void> {
  // the connection drops as the server exits: an error here is the shutdown happening
  await run('redis-cli', ['-p', '6379', 'shutdown', 'nosave'], { timeout: 10_000 }).catch(() => undefined);
  await until(async () => !(await answers()), 10_000, 'Redis to stop');
  await sleep(downMs);
  await ensureRedis();
}

/** Starts Redis if it does not answer (after a restart, or a run interrupted while it was down). */
export async function ensureRedis(): Promise<void> {
  if (await answers()) return;
  await run('redis-server', REDIS_START_ARGS, { timeout: 10_000 });
  await until(answers, 20_000, 'Redis to answer PONG');
}
