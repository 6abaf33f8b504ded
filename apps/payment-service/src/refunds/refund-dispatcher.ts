import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { crashPoint } from '@ebb/config';
import { DrainLoop } from '@ebb/messaging';
import { LOGGER } from '@ebb/observability';
import { PAYMENT_ENV } from '../payment-env';
import type { PaymentEnv } from '../config';
import { PAYMENT_PROVIDERS, type PaymentProviders, type ProviderName, ProviderRefusedError } from '../providers/payment-provider';
import { ProviderRefundsService, type RefundReport, providerRefundCommits } from './provider-refunds.service';

/** Rows claimed per round at most: a small batch keeps the claim short and lets other replicas share the work. */
const CLAIM_BATCH = 10;
/** The status sync never polls more often than this, however short REFUND_SYNC_AFTER_MS is. */
const SYNC_POLL_FLOOR_MS = 200;

interface ClaimedRefund {
  refund_id: string;
  attempt: number;
  amount: string;
  provider: ProviderName;
  provider_payment_id: string | null;
}

interface PendingRefund {
  refund_id: string;
  attempt: number;
  provider: ProviderName;
  provider_refund_id: string;
}

/**
 * Sends recorded refunds to the provider, outside any transaction: claim (commit `calling`) → call
 * with the idempotency key `<refundId>:<attempt>` → record the answer in a new transaction. A row left
 * `calling` by a crash is sent again with the same key, so the provider answers with the same refund.
 * Also asks the provider about refunds still pending after REFUND_SYNC_AFTER_MS.
 */
@Injectable()
export class RefundDispatcher implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private stopped = false;
  /** Provider calls under way: a finished one makes room, and wakes the loop to claim the next. */
  private readonly calls = new Set<Promise<void>>();
  /** The last round filled all the room it had: rows may still be waiting when a slot frees up. */
  private mayHaveMore = false;
  private readonly loop = new DrainLoop(
    async () => {
      while (!this.stopped && (await this.dispatchRound()) > 0);
    },
    { onError: (error) => this.logger.error({ err: error }, 'refund dispatch round failed; the next poll retries') },
  );
  private dispatchTimer?: NodeJS.Timeout;
  private syncTimer?: NodeJS.Timeout;
  private syncing?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly refunds: ProviderRefundsService,
    @Inject(PAYMENT_PROVIDERS) private readonly providers: PaymentProviders,
    @Inject(PAYMENT_ENV) private readonly env: PaymentEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    // woken by the commit that recorded a refund (before the consumer starts); the poll covers crashes
    providerRefundCommits(this.dataSource).onCommit(() => setImmediate(() => this.wake()));
  }

  onApplicationBootstrap(): void {
    this.dispatchTimer = setInterval(() => this.wake(), this.env.REFUND_DISPATCH_POLL_MS);
    const syncEvery = Math.max(SYNC_POLL_FLOOR_MS, Math.min(this.env.REFUND_SYNC_AFTER_MS, 10_000));
    this.syncTimer = setInterval(() => this.syncOnce(), syncEvery);
    this.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.dispatchTimer);
    clearInterval(this.syncTimer);
    await Promise.allSettled([this.loop.stop(), this.syncing]);
    await Promise.allSettled([...this.calls]);
  }

  /** Runs a dispatch round now, or right after the one in progress. */
  wake(): void {
    if (this.stopped) return;
    void this.loop.wake();
  }

  /**
   * Claims as many rows as there is room for (up to a batch) and starts their calls without waiting
   * for them: a slow provider answer holds one slot, not the whole batch. Returns how many it claimed.
   */
  private async dispatchRound(): Promise<number> {
    const room = Math.min(CLAIM_BATCH, this.env.REFUND_DISPATCH_CONCURRENCY - this.calls.size);
    if (!this.dataSource.isInitialized) return 0;
    if (room <= 0) {
      this.mayHaveMore = true; // woken while full: the next finished call looks again
      return 0;
    }
    const claimed: ClaimedRefund[] = await this.dataSource.query(
      // a SELECT on top, so the driver answers rows (an UPDATE alone answers [rows, count])
      `WITH due AS (
         SELECT refund_id FROM provider_refunds
         WHERE status = 'requested'
            OR (status = 'calling' AND claimed_at < now() - make_interval(secs => $1::double precision / 1000))
         ORDER BY updated_at
         LIMIT $2
         FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE provider_refunds r SET status = 'calling', claimed_at = now(), updated_at = now()
         FROM due WHERE r.refund_id = due.refund_id
         RETURNING r.refund_id, r.attempt, r.amount, r.provider, r.payment_id
       )
       SELECT c.refund_id, c.attempt, c.amount, c.provider, p.provider_payment_id
       FROM claimed c LEFT JOIN payments p ON p.id = c.payment_id`,
      [this.env.REFUND_CALL_RETRY_MS, room],
    );
    // fewer than asked for: nothing else is due, and a new one wakes the loop by its commit
    this.mayHaveMore = claimed.length === room;
    for (const row of claimed) {
      const call = this.send(row)
        // the answer could not be recorded: the row stays `calling` and is claimed again after REFUND_CALL_RETRY_MS
        .catch((error) => this.logger.error({ err: error, refundId: row.refund_id }, 'provider refund answer not recorded; will retry'))
        .finally(() => {
          this.calls.delete(call);
          if (this.mayHaveMore) this.wake();
        });
      this.calls.add(call);
    }
    return claimed.length;
  }

  private async send(row: ClaimedRefund): Promise<void> {
    const provider = this.providers[row.provider];
    let report: RefundReport;
    if (!provider || !row.provider_payment_id) {
      report = { status: 'failed', attempt: row.attempt, reason: provider ? 'payment_has_no_provider_id' : 'provider_not_supported' };
    } else {
      try {
        const state = await provider.refund({
          refundId: row.refund_id,
          attempt: row.attempt,
          providerPaymentId: row.provider_payment_id,
          amount: Number(row.amount),
          idempotencyKey: `${row.refund_id}:${row.attempt}`,
        });
        report = { ...state, attempt: row.attempt };
      } catch (error) {
        if (!(error instanceof ProviderRefusedError)) {
          // unknown outcome: the row stays `calling` and is sent again later with the same key
          this.logger.warn({ err: (error as Error).message, refundId: row.refund_id }, 'provider refund call failed; will retry');
          return;
        }
        report = { status: 'failed', attempt: row.attempt, reason: error.code ?? error.message };
      }
    }
    crashPoint('payment.after-provider-call');
    const outcome = await this.dataSource.transaction((manager) => this.refunds.settle(manager, row.refund_id, report));
    this.logger.info({ refundId: row.refund_id, attempt: row.attempt, status: report.status, outcome }, 'provider refund recorded');
  }

  /** Asks the provider about refunds pending for longer than REFUND_SYNC_AFTER_MS and settles them. */
  syncOnce(): Promise<void> {
    if (this.syncing || this.stopped) return this.syncing ?? Promise.resolve();
    this.syncing = (async () => {
      try {
        if (!this.dataSource.isInitialized) return;
        const due: PendingRefund[] = await this.dataSource.query(
          `WITH due AS (
             UPDATE provider_refunds SET synced_at = now()
             WHERE refund_id IN (
               SELECT refund_id FROM provider_refunds
               WHERE status = 'pending' AND provider_refund_id IS NOT NULL
                 AND greatest(updated_at, coalesce(synced_at, updated_at)) < now() - make_interval(secs => $1::double precision / 1000)
               ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED)
             RETURNING refund_id, attempt, provider, provider_refund_id
           )
           SELECT * FROM due`,
          [this.env.REFUND_SYNC_AFTER_MS, CLAIM_BATCH],
        );
        for (const row of due) {
          const provider = this.providers[row.provider];
          if (!provider) continue;
          try {
            const state = await provider.retrieveRefund(row.provider_refund_id);
            if (state.status === 'pending') continue;
            await this.dataSource.transaction((manager) => this.refunds.settle(manager, row.refund_id, { ...state, attempt: row.attempt }));
          } catch (error) {
            this.logger.warn({ err: (error as Error).message, refundId: row.refund_id }, 'refund status sync failed; will retry');
          }
        }
      } catch (error) {
        this.logger.error({ err: error }, 'refund status sync round failed');
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }
}
