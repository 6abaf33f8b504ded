import type { EntityManager } from 'typeorm';
import { CommitSignal } from '@ebb/persistence';

/** One call as its handler sees it. */
export interface OutboundCall<P> {
  id: string;
  kind: string;
  /** what the call is about (a refund id, `refundId:attempt`): unique per kind */
  key: string;
  payload: P;
  /** 1 on the first attempt */
  attempt: number;
  maxAttempts: number;
  /** when the first attempt was made: a provider forgets idempotency keys after a while (Stripe: 24 h) */
  firstCalledAt: Date;
}

/** What a call kind is: its name and payload type, how often and how patiently it is tried. */
export interface CallKind<P> {
  readonly kind: string;
  readonly maxAttempts: number;
  /** the wait before attempt n + 1 after attempt n failed */
  readonly backoffMs: (attempt: number) => number;
  /** how long a claim holds: longer than the call's own timeout, or a second process calls meanwhile */
  readonly leaseMs: number;
  /** type-level only: the payload this kind carries */
  readonly payload?: P;
}

/** Exponential backoff from `firstMs`, doubling, at most `maxMs`. */
export const exponentialBackoff =
  (firstMs: number, maxMs: number) =>
  (attempt: number): number =>
    Math.min(firstMs * 2 ** Math.max(0, attempt - 1), maxMs);

/** Declares a call kind: `const HoldGoods = defineCall<{refundId: string}>('order.hold-goods', {...})`. */
export function defineCall<P>(kind: string, options: Partial<Omit<CallKind<P>, 'kind' | 'payload'>> = {}): CallKind<P> {
  return {
    kind,
    maxAttempts: options.maxAttempts ?? 8,
    backoffMs: options.backoffMs ?? exponentialBackoff(1000, 5 * 60_000),
    leaseMs: options.leaseMs ?? 30_000,
  };
}

/**
 * The answer a call can never get by trying again (a 4xx refusal): the handler's `onRefused` decides
 * what it means, and the call is done. Anything else thrown is an unknown outcome, tried again.
 */
export class CallRefusedError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'CallRefusedError';
  }
}

/** The commit of a transaction that recorded calls wakes this process's loop. */
export const outboundCommits = (manager: EntityManager): CommitSignal => CommitSignal.for(manager.connection, 'outbound-calls');

/** A call recorded already claimed by the recording process, to be made right after the commit (`OutboundCalls.runClaimed`). */
export interface ClaimedCall {
  id: string;
  kind: string;
}

/**
 * Records a call in the caller's transaction: it is made if and only if the transaction commits.
 * With `claim`, this process holds it (lease) and makes it itself after the commit, without a
 * round trip through the loop; if the process dies first, the lease runs out and the loop makes it.
 * A call already recorded under (kind, key) is not recorded again (answers undefined).
 */
export async function recordCall<P>(
  manager: EntityManager,
  kind: CallKind<P>,
  key: string,
  payload: P,
  options: { claim?: boolean; notBefore?: Date } = {},
): Promise<ClaimedCall | undefined> {
  if (!manager.queryRunner?.isTransactionActive) throw new Error('recordCall must run inside the transaction that decides the call');
  const claim = options.claim === true;
  const rows: { id: string }[] = await manager.query(
    `INSERT INTO outbound_calls (kind, key, payload, status, attempts, next_attempt_at, lease_until, first_called_at)
     VALUES ($1, $2, $3::jsonb, $4, $5, coalesce($6::timestamptz, now()),
             CASE WHEN $4 = 'calling' THEN now() + make_interval(secs => $7::float8 / 1000) END,
             CASE WHEN $4 = 'calling' THEN now() END)
     ON CONFLICT (kind, key) DO NOTHING RETURNING id`,
    [kind.kind, key, JSON.stringify(payload), claim ? 'calling' : 'due', claim ? 1 : 0, options.notBefore?.toISOString() ?? null, kind.leaseMs],
  );
  if (rows.length === 0) return undefined;
  outboundCommits(manager).mark(manager);
  return claim ? { id: String(rows[0].id), kind: kind.kind } : undefined;
}

/**
 * Sends a parked call again with a fresh set of attempts (its first call time, and so a provider's
 * idempotency horizon, stay), in the caller's transaction; the row as it is now, or undefined when no
 * such call is parked. Pick it by id, or by kind and key.
 */
export async function retryParkedCall(
  manager: EntityManager,
  which: { id: string } | { kinds: readonly string[]; key: string },
): Promise<Record<string, unknown> | undefined> {
  const [rows]: [Record<string, unknown>[], number] = await manager.query(
    `UPDATE outbound_calls SET status = 'due', attempts = 0, next_attempt_at = now(), updated_at = now()
      WHERE status = 'parked' AND ${'id' in which ? 'id = $1' : 'kind = ANY($1::text[]) AND key = $2'} RETURNING *`,
    'id' in which ? [which.id] : [which.kinds, which.key],
  );
  if (rows.length > 0) outboundCommits(manager).mark(manager);
  return rows[0];
}
