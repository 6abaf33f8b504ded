import { Inject, Injectable, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { LOGGER } from '@ebb/observability';
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { runStatement, statement } from '@ebb/persistence';
import { HttpErrorCode, httpError } from '../errors/error-codes';

// every write a client sends with an Idempotency-Key runs these two: prepared once per connection
const CLAIM_KEY = statement(
  'idempotency-claim',
  `INSERT INTO idempotency_keys (scope, key, request_hash, status, claim_token, success_status) VALUES ($1, $2, $3, 'in_progress', $4, $5)
   ON CONFLICT (scope, key) DO NOTHING RETURNING key`,
);
// the answer, onto this request's claim; for a route that claims its key with the effect and made none
// (a refusal), the row is inserted here. Never a refusal over an effect, never over another request's row.
const COMPLETE_KEY = statement(
  'idempotency-complete',
  `INSERT INTO idempotency_keys (scope, key, claim_token, request_hash, success_status, status, response_status, response_body, completed_at)
   VALUES ($1, $2, $3, $6, $7, 'completed', $4, $5::json, now())
   ON CONFLICT (scope, key) DO UPDATE SET status = 'completed', response_status = EXCLUDED.response_status,
          response_body = EXCLUDED.response_body, completed_at = now()
    WHERE idempotency_keys.claim_token = EXCLUDED.claim_token AND idempotency_keys.status = 'in_progress'
      AND (EXCLUDED.response_status < 400 OR idempotency_keys.effect IS NULL)
   RETURNING 1`,
);
const FIND_KEY = statement(
  'idempotency-find',
  `SELECT request_hash, status, response_status, response_body, effect, success_status, claim_token,
          created_at < now() - $3 * interval '1 millisecond' AS stale,
          created_at < now() - $4 * interval '1 millisecond' AS effect_stale
     FROM idempotency_keys WHERE scope = $1 AND key = $2`,
);

/** Tuning of the idempotency store; the defaults suit a service. */
export interface IdempotencyOptions {
  /** how long a repeat waits for the first request to finish before answering 409 `request_in_progress` */
  waitMs?: number;
  pollMs?: number;
  /** a claim older than this, with no effect recorded, is taken as left by a crashed process and may be taken over */
  staleAfterMs?: number;
  /** a claim older than this whose effect committed is answered from the effect as it stands (its request died before answering) */
  effectStaleAfterMs?: number;
  /** how often expired keys are deleted (0: never, the caller runs purgeExpired) */
  purgeEveryMs?: number;
  retentionHours?: number;
}

export const IDEMPOTENCY_OPTIONS = Symbol('ebb:idempotency-options');

const DEFAULTS: Required<IdempotencyOptions> = {
  waitMs: 10_000,
  pollMs: 50,
  // a request takes seconds: a claim a minute old with no effect was left by a process that died (and one
  // still alive cannot commit through a claim taken over: its effect's transaction checks the claim token)
  staleAfterMs: 60_000,
  effectStaleAfterMs: 30_000,
  purgeEveryMs: 60 * 60_000,
  retentionHours: 24,
};

/**
 * What to do with a request carrying a key: run the handler with this token (under a claim already
 * committed, or, `claimed: false`, to be claimed by the effect's own transaction), or answer what the
 * first request got.
 */
export type IdempotencyDecision = { kind: 'execute'; token: string; claimed: boolean } | { kind: 'replay'; status: number; body: unknown };

/** Renders an effect (`refund:ref_…` → the refund as the API shows it) for a key whose stored answer was lost. */
export type EffectAnswer = (id: string) => Promise<unknown>;

interface KeyRow {
  request_hash: string;
  status: string;
  response_status: number;
  response_body: unknown;
  effect: string | null;
  success_status: number | null;
  claim_token: string | null;
  stale: boolean;
  effect_stale: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `idempotency_keys` in PostgreSQL. A claim commits on its own before the handler runs (the primary
 * key (scope, key) decides which of concurrent requests runs), or, for a route whose every effect
 * records its key (`@ClaimKeyWithEffect`), in the effect's own transaction (the primary key then
 * decides which effect commits). The effect's transaction ties the key to the effect
 * (`recordIdempotentEffect`), so a key is never free while its effect exists: if the answer is then
 * lost, a repeat is answered from the effect, never run again.
 */
@Injectable()
export class IdempotencyStore implements OnModuleInit, OnModuleDestroy {
  private readonly options: Required<IdempotencyOptions>;
  private purgeTimer?: NodeJS.Timeout;
  private readonly effectAnswers = new Map<string, EffectAnswer>();

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Optional() @Inject(IDEMPOTENCY_OPTIONS) options?: IdempotencyOptions,
    @Optional() @Inject(LOGGER) private readonly logger?: Logger,
  ) {
    // an option left undefined keeps its default
    const given = Object.entries(options ?? {}).filter(([, value]) => value !== undefined);
    this.options = { ...DEFAULTS, ...Object.fromEntries(given) };
  }

  onModuleInit() {
    if (this.options.purgeEveryMs <= 0) return;
    this.purgeTimer = setInterval(() => {
      this.purgeExpired(this.options.retentionHours).catch((error) => this.logger?.warn({ err: error }, 'idempotency key purge failed'));
    }, this.options.purgeEveryMs);
    this.purgeTimer.unref();
  }

  onModuleDestroy() {
    clearInterval(this.purgeTimer);
  }

  /** How a service answers its effects of `type` (`refund`) when their first answer was lost. */
  answerEffects(type: string, answer: EffectAnswer): void {
    this.effectAnswers.set(type, answer);
  }

  /**
   * Claims the key for this request, or decides from the row already there: a different body is
   * 409 `idempotency_key_reused`; a finished one is replayed; one whose request died after its effect
   * committed is answered from the effect; one still running is waited for. `successStatus` is what
   * the route answers on success (the status of an answer rendered from the effect). With
   * `claimWithEffect` a key not used yet is not claimed here: the effect's transaction claims it.
   */
  async begin(scope: string, key: string, requestHash: string, successStatus = 201, claimWithEffect = false): Promise<IdempotencyDecision> {
    const deadline = Date.now() + this.options.waitMs;
    for (;;) {
      const token = randomUUID();
      if (!claimWithEffect) {
        const claimed: unknown[] = await runStatement(this.dataSource, CLAIM_KEY, [scope, key, requestHash, token, successStatus]);
        if (claimed.length > 0) return { kind: 'execute', token, claimed: true };
      }
      const [row]: KeyRow[] = await runStatement(this.dataSource, FIND_KEY, [scope, key, this.options.staleAfterMs, this.options.effectStaleAfterMs]);
      if (!row) {
        if (claimWithEffect) return { kind: 'execute', token, claimed: false };
        // the first request was refused for now (or failed before any effect) and let the key go: this one may run
        continue;
      }
      if (row.request_hash !== requestHash) {
        throw httpError(HttpErrorCode.IdempotencyKeyReused, 'This Idempotency-Key was already used with a different request body.');
      }
      if (row.status === 'completed') return { kind: 'replay', status: row.response_status, body: row.response_body };
      if (row.effect && row.effect_stale) {
        const answered = await this.answerFromEffect(scope, key, row);
        if (answered) return answered;
      } else if (!row.effect && row.stale) {
        const takenOver = await this.takeOver(scope, key, row.claim_token);
        if (takenOver) return { kind: 'execute', token: takenOver, claimed: true };
      }
      if (Date.now() >= deadline) {
        throw httpError(HttpErrorCode.RequestInProgress, 'A request with this Idempotency-Key is still being processed; retry later.');
      }
      await sleep(this.options.pollMs);
    }
  }

  /** The effect committed but its answer was never stored: the answer is the effect as it stands now, stored for every repeat. */
  private async answerFromEffect(scope: string, key: string, row: Pick<KeyRow, 'effect' | 'success_status' | 'claim_token'>) {
    const separator = row.effect!.indexOf(':');
    const render = this.effectAnswers.get(row.effect!.slice(0, separator));
    if (!render) return undefined;
    const body = await render(row.effect!.slice(separator + 1));
    const status = row.success_status ?? 201;
    await this.dataSource.query(
      `UPDATE idempotency_keys SET status = 'completed', response_status = $4, response_body = $5::json, completed_at = now()
        WHERE scope = $1 AND key = $2 AND status = 'in_progress' AND claim_token IS NOT DISTINCT FROM $3`,
      [scope, key, row.claim_token, status, JSON.stringify(body ?? null)],
    );
    const [stored]: KeyRow[] = await this.dataSource.query(
      `SELECT response_status, response_body FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status = 'completed'`,
      [scope, key],
    );
    return stored && ({ kind: 'replay', status: stored.response_status, body: stored.response_body } as const);
  }

  // a claim its process never finished and that made no effect (it crashed first): the one request whose update matches runs again
  private async takeOver(scope: string, key: string, previousToken: string | null): Promise<string | undefined> {
    const token = randomUUID();
    const [, count]: [unknown, number] = await this.dataSource.query(
      `UPDATE idempotency_keys SET created_at = now(), claim_token = $4
        WHERE scope = $1 AND key = $2 AND status = 'in_progress' AND effect IS NULL AND claim_token IS NOT DISTINCT FROM $3
          AND created_at < now() - $5 * interval '1 millisecond'`,
      [scope, key, previousToken, token, this.options.staleAfterMs],
    );
    return count === 1 ? token : undefined;
  }

  /**
   * Stores the answer the first request got, for every repeat to receive; a no-op when the effect's
   * transaction stored it already. A refusal is stored only if no effect was made. Answers whether it
   * stored it: false also when the key belongs to another request (a route claiming with its effect
   * that was refused while a concurrent request with the same key made its effect).
   */
  async complete(request: { scope: string; key: string; token: string; requestHash: string; successStatus: number }, status: number, body: unknown): Promise<boolean> {
    const { scope, key, token, requestHash, successStatus } = request;
    const stored: unknown[] = await runStatement(this.dataSource, COMPLETE_KEY, [scope, key, token, status, JSON.stringify(body ?? null), requestHash, successStatus]);
    return stored.length > 0;
  }

  /**
   * After a failure: lets go of a claim that made no effect, so a retry runs again; a claim whose
   * effect committed is answered from the effect at once instead (a retry then gets that answer).
   */
  async release(scope: string, key: string, token: string): Promise<void> {
    // a DELETE answers [rows, count]
    const [, deleted]: [unknown, number] = await this.dataSource.query(
      `DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND claim_token = $3 AND status = 'in_progress' AND effect IS NULL`,
      [scope, key, token],
    );
    if (deleted > 0) return;
    const [left]: KeyRow[] = await this.dataSource.query(
      `SELECT effect, success_status, claim_token FROM idempotency_keys WHERE scope = $1 AND key = $2 AND claim_token = $3 AND status = 'in_progress'`,
      [scope, key, token],
    );
    if (left?.effect) await this.answerFromEffect(scope, key, left);
  }

  /** Deletes keys older than the retention (the API promises at least 24 hours); answers how many. */
  async purgeExpired(olderThanHours = 24): Promise<number> {
    const [, count]: [unknown, number] = await this.dataSource.query(
      `DELETE FROM idempotency_keys WHERE created_at < now() - $1 * interval '1 hour'`,
      [olderThanHours],
    );
    return count;
  }
}
