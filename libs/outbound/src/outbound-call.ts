import type { EntityManager } from 'typeorm';
import { CommitSignal, runStatement, statement } from '@ebb/persistence';

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

/** The leases this process's loop was tuned to (`OutboundCalls.handle`), by kind: a call claimed at its recording gets the same. */
export const tunedLeases = new Map<string, number>();
/** The kinds a started loop of this process makes (`claim: 'on-commit'` hands calls only to a running loop). */
export const runningKinds = new Map<string, number>();

/** A call recorded already claimed by the recording process, to be made right after the commit. */
export interface ClaimedCall {
  id: string;
  kind: string;
  key: string;
  payload: unknown;
  attempts: number;
  first_called_at: Date;
}

/** What a transaction that recorded a call due (for any loop to claim) tells the loops of this process at its commit. */
export const RECORDED_DUE = Symbol('outbound call recorded due');

/** The calls a committed transaction recorded claimed for this process's loop (`claim: 'on-commit'`). */
export class HandedOver {
  constructor(readonly call: ClaimedCall) {}
}

const RECORD_CALL = statement(
  'outbound-record',
  `INSERT INTO outbound_calls (kind, key, payload, status, attempts, next_attempt_at, lease_until, first_called_at)
   VALUES ($1, $2, $3::jsonb, $4, $5, coalesce($6::timestamptz, now()),
           CASE WHEN $4 = 'calling' THEN now() + make_interval(secs => $7::float8 / 1000) END,
           CASE WHEN $4 = 'calling' THEN now() END)
   ON CONFLICT (kind, key) DO NOTHING RETURNING id, first_called_at`,
);

/**
 * Records a call in the caller's transaction: it is made if and only if the transaction commits.
 * With `claim: true`, this process holds it (lease) and the caller makes it itself after the commit
 * (`OutboundCalls.runClaimed`), without a round trip through the loop; with `claim: 'on-commit'`
 * this process's loop makes it as soon as the transaction commits, with no claim of its own (when
 * no loop of this process runs for the kind, it is recorded due, as without `claim`). If the
 * process dies first, the lease runs out and any replica's loop makes it. A call already recorded
 * under (kind, key) is not recorded again (answers undefined).
 */
export async function recordCall<P>(
  manager: EntityManager,
  kind: CallKind<P>,
  key: string,
  payload: P,
  options: { claim?: boolean | 'on-commit'; notBefore?: Date } = {},
): Promise<ClaimedCall | undefined> {
  if (!manager.queryRunner?.isTransactionActive) throw new Error('recordCall must run inside the transaction that decides the call');
  // no loop of this process runs for the kind: recorded due, for whichever replica's loop finds it
  const handOver = options.claim === 'on-commit' && (runningKinds.get(kind.kind) ?? 0) > 0;
  const claim = options.claim === true || handOver;
  const rows: { id: string; first_called_at: Date | null }[] = await runStatement(manager, RECORD_CALL, [kind.kind, key, JSON.stringify(payload), claim ? 'calling' : 'due', claim ? 1 : 0, options.notBefore?.toISOString() ?? null, tunedLeases.get(kind.kind) ?? kind.leaseMs],
  );
  if (rows.length === 0) return undefined;
  if (!claim) {
    outboundCommits(manager).mark(manager, RECORDED_DUE);
    return undefined;
  }
  const claimed: ClaimedCall = { id: String(rows[0].id), kind: kind.kind, key, payload, attempts: 1, first_called_at: new Date(rows[0].first_called_at!) };
  outboundCommits(manager).mark(manager, handOver ? new HandedOver(claimed) : undefined);
  return claimed;
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
  if (rows.length > 0) outboundCommits(manager).mark(manager, RECORDED_DUE);
  return rows[0];
}
