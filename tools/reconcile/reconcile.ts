// `npm run reconcile -- --date YYYY-MM-DD [--provider stripe|alipay|wechatpay] [--out DIR] [--url URL]`:
// reconciles one of the providers' days through payment-service's admin API (the same run as
// POST /v1/admin/reconciliations), waits for it, prints the differences by kind and writes them as
// JSON and CSV into --out (tmp/reconciliation by default). Exit 0 when the run is done, 1 when it
// failed or could not start, 2 for bad arguments.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEV_JWT_SECRET } from '@ebb/config';
import { signToken } from '@ebb/http';

const PROVIDERS = ['stripe', 'alipay', 'wechatpay'];
const USAGE = 'usage: npm run reconcile -- --date YYYY-MM-DD [--provider stripe|alipay|wechatpay] [--out DIR] [--url http://127.0.0.1:3002]';

export interface ReconcileOptions {
  date: string;
  provider?: string;
  out: string;
  url: string;
  token: string;
  timeoutMs: number;
  log: (line: string) => void;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): ReconcileOptions | string {
  let values: { date?: string; provider?: string; out?: string; url?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { date: { type: 'string' }, provider: { type: 'string' }, out: { type: 'string' }, url: { type: 'string' }, help: { type: 'boolean' } } }));
  } catch (error) {
    return `${(error as Error).message}\n${USAGE}`;
  }
  if (values.help) return USAGE;
  if (!values.date || !/^\d{4}-\d{2}-\d{2}$/.test(values.date)) return `--date YYYY-MM-DD is required\n${USAGE}`;
  if (values.provider && !PROVIDERS.includes(values.provider)) return `--provider must be one of ${PROVIDERS.join(', ')}\n${USAGE}`;
  return {
    date: values.date,
    provider: values.provider,
    out: path.resolve(values.out ?? 'tmp/reconciliation'),
    url: (values.url ?? env.PAYMENT_URL ?? 'http://127.0.0.1:3002').replace(/\/$/, ''),
    // an operator's token: the admin API is for admins
    token: signToken({ sub: 'reconcile-cli', role: 'admin' }, env.EBB_JWT_SECRET ?? DEV_JWT_SECRET),
    timeoutMs: Number(env.RECONCILE_TIMEOUT_MS ?? 10 * 60_000),
    log: (line) => process.stdout.write(`${line}\n`),
  };
}

async function call(options: ReconcileOptions, method: string, pathName: string, body?: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(`${options.url}${pathName}`, {
    method,
    headers: { authorization: `Bearer ${options.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, text: await response.text() };
}

/** Runs one reconciliation and writes its report; answers the exit code. */
export async function reconcile(options: ReconcileOptions): Promise<number> {
  const started = await call(options, 'POST', '/v1/admin/reconciliations', { date: options.date, ...(options.provider ? { provider: options.provider } : {}) });
  if (started.status !== 201) {
    options.log(`payment-service refused the reconciliation (${started.status}): ${started.text}`);
    return 1;
  }
  const { id } = JSON.parse(started.text) as { id: string };
  options.log(`reconciliation ${id}: ${options.provider ?? 'every provider'}, ${options.date}`);
  const deadline = Date.now() + options.timeoutMs;
  let run: { status: string; matched: number; differences: { kind: string; resolution: string }[]; error?: string };
  for (;;) {
    run = JSON.parse((await call(options, 'GET', `/v1/admin/reconciliations/${id}`)).text);
    if (run.status !== 'running') break;
    if (Date.now() > deadline) {
      options.log(`still running after ${options.timeoutMs} ms: read it later with GET /v1/admin/reconciliations/${id}`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  mkdirSync(options.out, { recursive: true });
  const base = path.join(options.out, `${options.date}-${options.provider ?? 'all'}-${id}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(`${base}.csv`, (await call(options, 'GET', `/v1/admin/reconciliations/${id}/differences.csv`)).text);
  if (run.status === 'failed') {
    options.log(`failed: ${run.error ?? 'unknown error'}`);
    return 1;
  }
  const byKind = new Map<string, number>();
  for (const d of run.differences) byKind.set(`${d.kind} (${d.resolution})`, (byKind.get(`${d.kind} (${d.resolution})`) ?? 0) + 1);
  options.log(`matched ${run.matched}, differences ${run.differences.length}${[...byKind].map(([kind, n]) => `\n  ${kind}: ${n}`).join('')}`);
  options.log(`written: ${base}.json, ${base}.csv`);
  return 0;
}

if (require.main === module) {
  const options = parseOptions(process.argv.slice(2));
  if (typeof options === 'string') {
    process.stderr.write(`${options}\n`);
    process.exit(options === USAGE ? 0 : 2);
  }
  reconcile(options).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`reconcile failed: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
