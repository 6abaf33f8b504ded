import { Inject, Injectable, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { LOGGER } from '@ebb/observability';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { HttpErrorCode, httpError } from '../errors/error-codes';

/** Tuning of the idempotency store; the defaults suit a service. */
export interface IdempotencyOptions {
  /** how long a repeat waits for the first request to finish before answering 409 `request_in_progress` */
  waitMs?: number;
  pollMs?: number;
  /** a claim older than this is taken as left by a crashed process and may be taken over */
  staleAfterMs?: number;
  /** how often expired keys are deleted (0: never, the caller runs purgeExpired) */
  purgeEveryMs?: number;
  retentionHours?: number;
}

export const IDEMPOTENCY_OPTIONS = Symbol('ebb:idempotency-options');

const DEFAULTS: Required<IdempotencyOptions> = {
  waitMs: 10_000,
  pollMs: 50,
  staleAfterMs: 5 * 60_000,
  purgeEveryMs: 60 * 60_000,
  retentionHours: 24,
};

/** What to do with a request carrying a key: run the handler, or answer what the first request got. */
export type IdempotencyDecision = { kind: 'execute' } | { kind: 'replay'; status: number; body: unknown };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `idempotency_keys` in PostgreSQL. Each statement commits on its own: no transaction is ever held
 * while a handler runs, and the primary key (scope, key) decides which of concurrent requests runs.
 */
@Injectable()
export class IdempotencyStore implements OnModuleInit, OnModuleDestroy {
  private readonly options: Required<IdempotencyOptions>;
  private purgeTimer?: NodeJS.Timeout;

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

  /**
   * Claims the key for this request, or decides from the row already there: a different body is
   * 409 `idempotency_key_reused`; a finished one is replayed; one still running is waited for.
   */
  async begin(scope: string, key: string, requestHash: string): Promise<IdempotencyDecision> {
    const deadline = Date.now() + this.options.waitMs;
    for (;;) {
      const claimed: unknown[] = await this.dataSource.query(
        `INSERT INTO idempotency_keys (scope, key, request_hash, status) VALUES ($1, $2, $3, 'in_progress')
         ON CONFLICT (scope, key) DO NOTHING RETURNING key`,
        [scope, key, requestHash],
      );
      if (claimed.length > 0) return { kind: 'execute' };

      const [row]: Array<{ request_hash: string; status: string; response_status: number; response_body: unknown; stale: boolean }> =
        await this.dataSource.query(
          `SELECT request_hash, status, response_status, response_body,
                  created_at < now() - $3 * interval '1 millisecond' AS stale
             FROM idempotency_keys WHERE scope = $1 AND key = $2`,
          [scope, key, this.options.staleAfterMs],
        );
      // the first request failed and let the key go: this one may run
      if (!row) continue;
      if (row.request_hash !== requestHash) {
        throw httpError(HttpErrorCode.IdempotencyKeyReused, 'This Idempotency-Key was already used with a different request body.');
      }
      if (row.status === 'completed') return { kind: 'replay', status: row.response_status, body: row.response_body };
      if (row.stale && (await this.takeOver(scope, key))) return { kind: 'execute' };
      if (Date.now() >= deadline) {
        throw httpError(HttpErrorCode.RequestInProgress, 'A request with this Idempotency-Key is still being processed; retry later.');
      }
      await sleep(this.options.pollMs);
    }
  }

  // a claim its process never finished (it crashed): the one request whose update matches runs again
  private async takeOver(scope: string, key: string): Promise<boolean> {
    const [, count]: [unknown, number] = await this.dataSource.query(
      `UPDATE idempotency_keys SET created_at = now()
        WHERE scope = $1 AND key = $2 AND status = 'in_progress' AND created_at < now() - $3 * interval '1 millisecond'`,
      [scope, key, this.options.staleAfterMs],
    );
    return count === 1;
  }

  /** Stores the answer the first request got, for every repeat to receive. */
  async complete(scope: string, key: string, status: number, body: unknown): Promise<void> {
    await this.dataSource.query(
      `UPDATE idempotency_keys
          SET status = 'completed', response_status = $3, response_body = $4::json, completed_at = now()
        WHERE scope = $1 AND key = $2`,
      [scope, key, status, JSON.stringify(body ?? null)],
    );
  }

  /** Lets go of a claim whose request failed unexpectedly, so a retry runs again. */
  async release(scope: string, key: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status = 'in_progress'`, [scope, key]);
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
