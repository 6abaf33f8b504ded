// `npm run policy:migrate -- --dry-run | --apply | --resume <id> | --rollback <id> [--sellers a,b] [--out report.csv]`:
// drives refund-service's policy migration API over HTTP, waits for the run, and writes its report
// (CSV and JSON). The run itself lives in refund-service: killing this program stops nothing, and
// `--resume <id>` finds the run again.
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { DEV_JWT_SECRET } from '@ebb/config';
import { signToken } from '@ebb/http';
import { type Options, USAGE, UsageError, parseOptions } from './options';
import { type Run, writeReport } from './report';

/** Statuses a run rests in; `running` and `rolling_back` move on by themselves. */
const RESTING = ['done', 'failed', 'rolled_back'];
const POLL_MS = 500;

class Unreachable extends Error {}

function adminToken(env: NodeJS.ProcessEnv): string {
  if (env.EBB_ADMIN_TOKEN) return env.EBB_ADMIN_TOKEN;
  let who = 'operator';
  try {
    who = userInfo().username || who;
  } catch {
    // no user name (a container): "operator"
  }
  return signToken({ sub: `policy-migrate:${who}`, role: 'admin' }, env.EBB_JWT_SECRET || DEV_JWT_SECRET);
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseOptions(argv, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { command, url, waitSeconds } = options;
  const token = adminToken(env);
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      try {
        const response = await fetch(`${url}${path}`, {
          method,
          headers: {
            Authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            // the same key if this very request is sent again: a lost answer never starts a second run
            ...(method === 'POST' ? { 'Idempotency-Key': idempotencyKey } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
        if (response.status < 500) return { status: response.status, body: await response.json().catch(() => undefined) };
      } catch {
        // refund-service restarting, or the network: asked again below
      }
      if (Date.now() > deadline) throw new Unreachable(`refund-service at ${url} did not answer ${method} ${path} for ${waitSeconds} s`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };
  let idempotencyKey = randomUUID();
  let runId: string | undefined = command.kind === 'resume' || command.kind === 'rollback' ? command.runId : undefined;
  try {
    const started =
      command.kind === 'dry_run' || command.kind === 'apply'
        ? await api('POST', '/v1/admin/policy-migrations', { mode: command.kind, ...(command.sellerIds ? { sellerIds: command.sellerIds } : {}) })
        : await api('POST', `/v1/admin/policy-migrations/${runId}/${command.kind}`);
    // a run that has ended by itself meanwhile: nothing to resume, its report is still wanted
    const ended = command.kind === 'resume' && started.status === 409 && started.body?.error?.code === 'invalid_migration_transition';
    if (ended) started.body = { id: runId, mode: '', status: started.body.error.details.from };
    else if (started.status >= 400) {
      process.stderr.write(`refused: ${started.status} ${started.body?.error?.code ?? ''} ${started.body?.error?.message ?? ''}\n`);
      if (started.body?.error?.details) process.stderr.write(`${JSON.stringify(started.body.error.details)}\n`);
      return 1;
    }
    runId = started.body.id as string;
    process.stdout.write(`run ${runId}${started.body.mode ? ` (${started.body.mode})` : ''} ${started.body.status}\n`);
    idempotencyKey = randomUUID();

    let run: Run;
    let seen = '';
    for (;;) {
      const answer = await api('GET', `/v1/admin/policy-migrations/${runId}`);
      if (answer.status !== 200) throw new Error(`GET ${runId} answered ${answer.status}`);
      run = answer.body;
      const progress = `${run.status} ${JSON.stringify(run.counts)}`;
      if (progress !== seen) process.stdout.write(`  ${progress}\n`);
      seen = progress;
      if (RESTING.includes(run.status)) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const files = writeReport(run, options.out ?? `policy-migration-${runId}.csv`);
    process.stdout.write(`report: ${files.csv} and ${files.json} (${run.report.length} products)\n`);
    if (run.status === 'failed') {
      process.stderr.write(`run ${runId} failed: ${run.error}\nresume it with: npm run policy:migrate -- --resume ${runId}\n`);
      return 1;
    }
    return 0;
  } catch (error) {
    if (!(error instanceof Unreachable)) throw error;
    process.stderr.write(`${error.message}\n${runId ? `the run goes on in refund-service; follow it again with: npm run policy:migrate -- --resume ${runId}\n` : ''}`);
    return 1;
  }
}

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
