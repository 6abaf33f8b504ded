import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager } from 'typeorm';
import { CommitSignal, runStatement, statement } from '@ebb/persistence';

/** The key of the request being handled, when it carries an Idempotency-Key. */
export interface IdempotentRequest {
  scope: string;
  key: string;
  /** this request's own token: a request whose claim was taken over can no longer write through it */
  token: string;
  requestHash: string;
  /** what the route answers on success: the status of an answer stored with the effect */
  successStatus: number;
  /** whether the key is this request's in the database: claimed before the handler ran, or by an effect's transaction that committed */
  claimed: boolean;
  /** set once the effect's transaction that stored the answer too has committed: the interceptor has nothing left to store */
  answered: boolean;
}

const current = new AsyncLocalStorage<IdempotentRequest>();

/** Runs `work` as the handling of an idempotent request (the interceptor does this). */
export function runIdempotent<T>(request: IdempotentRequest, work: () => T): T {
  return current.run(request, work);
}

/**
 * The key belongs to another request: its claim was taken over (this one outlived the stale timeout),
 * or, for a route that claims its key with the effect, another request with the same key made its
 * effect first. Either way this request's effect must not commit.
 */
export class IdempotencyClaimLostError extends Error {
  constructor() {
    super('the Idempotency-Key belongs to another request; this one must not commit its effect');
    this.name = 'IdempotencyClaimLostError';
  }
}

// A key claimed before the handler ran has this request's token: the effect is written onto it. A key
// not claimed yet (`@ClaimKeyWithEffect`) is inserted here, so the claim costs no transaction of its
// own; a row of another token (a concurrent request with the same key committed first) updates
// nothing, and the transaction rolls back.
const RECORD_EFFECT = statement(
  'idempotency-effect',
  `INSERT INTO idempotency_keys (scope, key, claim_token, effect, request_hash, success_status, status) VALUES ($1, $2, $3, $4, $5, $6, 'in_progress')
   ON CONFLICT (scope, key) DO UPDATE SET effect = EXCLUDED.effect WHERE idempotency_keys.claim_token = EXCLUDED.claim_token
   RETURNING 1`,
);
const RECORD_EFFECT_AND_ANSWER = statement(
  'idempotency-effect-answer',
  `INSERT INTO idempotency_keys (scope, key, claim_token, effect, request_hash, success_status, status, response_status, response_body, completed_at)
   VALUES ($1, $2, $3, $4, $5, $6, 'completed', $6, $7::json, now())
   ON CONFLICT (scope, key) DO UPDATE SET effect = EXCLUDED.effect, status = 'completed', response_status = idempotency_keys.success_status,
          response_body = EXCLUDED.response_body, completed_at = now()
    WHERE idempotency_keys.claim_token = EXCLUDED.claim_token
   RETURNING 1`,
);

/**
 * Ties the request's Idempotency-Key to its effect (`refund:ref_…`), in the transaction that makes
 * the effect: the key is never free while the effect exists. With `answer`, the answer is stored in
 * the same commit too; without, the interceptor stores what the handler returns, and if that is lost
 * (a crash between), a repeat is answered from the effect as it stands (see `IdempotencyStore.answerEffects`)
 * instead of running again. Outside a request with a key (a background loop, no header) it does nothing.
 */
export async function recordIdempotentEffect(manager: EntityManager, effect: string, answer?: unknown): Promise<void> {
  const request = current.getStore();
  if (!request) return;
  if (!manager.queryRunner?.isTransactionActive) throw new Error('recordIdempotentEffect must run inside the transaction that makes the effect');
  const values = [request.scope, request.key, request.token, effect, request.requestHash, request.successStatus];
  const rows: unknown[] =
    answer === undefined
      ? await runStatement(manager, RECORD_EFFECT, values)
      : await runStatement(manager, RECORD_EFFECT_AND_ANSWER, [...values, JSON.stringify(answer)]);
  if (rows.length !== 1) throw new IdempotencyClaimLostError();
  onCommit(manager, { request, answered: answer !== undefined });
}

type Recorded = { request: IdempotentRequest; answered: boolean };
const listening = new WeakSet<DataSource>();

/** Once the effect's transaction commits (never before: it may still roll back), the key is the request's, and answered if it stored the answer. */
function onCommit(manager: EntityManager, recorded: Recorded): void {
  const signal = CommitSignal.for(manager.connection, 'idempotent-effect');
  if (!listening.has(manager.connection)) {
    listening.add(manager.connection);
    signal.onCommit((values) => {
      for (const { request, answered } of values as Recorded[]) {
        request.claimed = true;
        if (answered) request.answered = true;
      }
    });
  }
  signal.mark(manager, recorded);
}
