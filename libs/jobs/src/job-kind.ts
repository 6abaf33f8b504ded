import { createHash } from 'node:crypto';

/** What a kind of job is: its queue's name, the payload it carries, how it is retried. */
export interface JobKind<P> {
  /** the pg-boss queue: letters, digits and underscores, at most 50 characters */
  readonly name: string;
  /** tries after the first failure (the handler threw, or its process died holding it) */
  readonly retryLimit: number;
  readonly retryDelaySeconds: number;
  /** type-level only: the payload this kind carries */
  readonly payload?: P;
}

const kinds = new Map<string, JobKind<unknown>>();

/**
 * Declares a kind of job once, at module load (`const AutoApprove = defineJob<{refundId: string}>('refund_auto_approve')`):
 * every declared kind's queue exists before a service handles a request or a message, so a job
 * scheduled in a transaction always has a queue to land in.
 */
export function defineJob<P>(name: string, options: Partial<Pick<JobKind<P>, 'retryLimit' | 'retryDelaySeconds'>> = {}): JobKind<P> {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,49}$/.test(name)) throw new Error(`job kind ${name}: letters, digits and underscores, at most 50 characters`);
  if (kinds.has(name)) throw new Error(`job kind ${name} is defined twice`);
  const kind: JobKind<P> = { name, retryLimit: options.retryLimit ?? 5, retryDelaySeconds: options.retryDelaySeconds ?? 10 };
  kinds.set(name, kind);
  return kind;
}

/** Every declared kind. */
export const jobKinds = (): JobKind<unknown>[] => [...kinds.values()];

/**
 * The job's id for a kind and key (a UUID drawn from both): scheduling the same key twice schedules
 * one job, whoever does it and however often.
 */
export function jobIdOf(kind: Pick<JobKind<unknown>, 'name'>, key: string): string {
  const hex = createHash('sha256').update(`${kind.name}\u0000${key}`).digest('hex');
  // shaped as a version-8 (custom) UUID, which pg-boss's uuid column takes
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
