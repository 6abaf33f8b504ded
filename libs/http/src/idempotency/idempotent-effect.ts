import { AsyncLocalStorage } from 'node:async_hooks';
import type { EntityManager } from 'typeorm';
import { runStatement, statement } from '@ebb/persistence';

/** The claim of the request being handled, when it carries an Idempotency-Key. */
export interface IdempotentRequest {
  scope: string;
  key: string;
  /** this claim's own token: a request whose claim was taken over can no longer write through it */
  token: string;
}

const current = new AsyncLocalStorage<IdempotentRequest>();

/** Runs `work` as the handling of an idempotent request (the interceptor does this). */
export function runIdempotent<T>(request: IdempotentRequest, work: () => T): T {
  return current.run(request, work);
}

/** The key's claim was taken over by another request (this one outlived the stale timeout): its effect must not commit. */
export class IdempotencyClaimLostError extends Error {
  constructor() {
    super('the Idempotency-Key was taken over by another request; this one must not commit its effect');
    this.name = 'IdempotencyClaimLostError';
  }
}

const RECORD_EFFECT = statement(
  'idempotency-effect',
  `UPDATE idempotency_keys SET effect = $4 WHERE scope = $1 AND key = $2 AND claim_token = $3`,
);
const RECORD_EFFECT_AND_ANSWER = statement(
  'idempotency-effect-answer',
  `UPDATE idempotency_keys SET effect = $4, status = 'completed', response_status = success_status, response_body = $5::json, completed_at = now()
    WHERE scope = $1 AND key = $2 AND claim_token = $3`,
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
  const keys = [request.scope, request.key, request.token, effect];
  const [, count]: [unknown, number] =
    answer === undefined
      ? await runStatement(manager, RECORD_EFFECT, keys)
      : await runStatement(manager, RECORD_EFFECT_AND_ANSWER, [...keys, JSON.stringify(answer)]);
  if (count !== 1) throw new IdempotencyClaimLostError();
}
