import { parseArgs } from 'node:util';

export const USAGE = `npm run policy:migrate -- <what> [options]

  --dry-run              plan every product (or --sellers'), write the report, change nothing
  --apply                plan and apply in batches, telling sellers with a recent sale first
  --resume <run id>      take a failed run up where it stopped (or wait for a running one)
  --rollback <run id>    restore exactly the windows the run set

  --sellers a,b          only these sellers' products (--dry-run, --apply)
  --out report.csv       where the report goes (CSV, and JSON beside it); policy-migration-<run id>.csv by default
  --url URL              refund-service (REFUND_URL, default http://127.0.0.1:3003)
  --wait-seconds N       how long to wait for refund-service when it does not answer (default 60)

An admin token comes from EBB_ADMIN_TOKEN, or is signed with EBB_JWT_SECRET (the development secret when unset).`;

export type Command = { kind: 'dry_run' | 'apply'; sellerIds?: string[] } | { kind: 'resume' | 'rollback'; runId: string };

export interface Options {
  command: Command;
  out?: string;
  url: string;
  waitSeconds: number;
}

/** A mistake in the command line: the message, then the usage, exit code 2. */
export class UsageError extends Error {}

/** The command line as the tool reads it. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): Options | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        'dry-run': { type: 'boolean' },
        apply: { type: 'boolean' },
        resume: { type: 'string' },
        rollback: { type: 'string' },
        sellers: { type: 'string' },
        out: { type: 'string' },
        url: { type: 'string' },
        'wait-seconds': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const chosen = (['dry-run', 'apply', 'resume', 'rollback'] as const).filter((name) => values[name] !== undefined);
  if (chosen.length !== 1) throw new UsageError('give exactly one of --dry-run, --apply, --resume <id>, --rollback <id>');
  const sellerIds = values.sellers?.split(',').map((id) => id.trim()).filter(Boolean);
  if (values.sellers !== undefined && (!sellerIds || sellerIds.length === 0)) throw new UsageError('--sellers needs a comma-separated list of seller ids');
  if (sellerIds && (values.resume || values.rollback)) throw new UsageError('--sellers goes with --dry-run or --apply');
  const waitSeconds = Number(values['wait-seconds'] ?? 60);
  if (!Number.isInteger(waitSeconds) || waitSeconds < 0) throw new UsageError('--wait-seconds must be a whole number of seconds');
  const command: Command = values.resume
    ? { kind: 'resume', runId: values.resume }
    : values.rollback
      ? { kind: 'rollback', runId: values.rollback }
      : { kind: values.apply ? 'apply' : 'dry_run', ...(sellerIds ? { sellerIds } : {}) };
  return { command, out: values.out, url: (values.url ?? env.REFUND_URL ?? 'http://127.0.0.1:3003').replace(/\/$/, ''), waitSeconds };
}
