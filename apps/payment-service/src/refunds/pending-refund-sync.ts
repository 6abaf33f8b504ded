import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { LOGGER } from '@ebb/observability';
import { PAYMENT_ENV, type PaymentEnv } from '../config';
import { PAYMENT_PROVIDERS, type PaymentProviders, type ProviderName } from '../providers/payment-provider';
import { ProviderRefundsService } from './provider-refunds.service';

/** Refunds looked at per round at most. */
const CLAIM_BATCH = 10;
/** The status sync never polls more often than this, however short REFUND_SYNC_AFTER_MS is. */
const SYNC_POLL_FLOOR_MS = 200;

interface PendingRefund {
  refund_id: string;
  attempt: number;
  provider: ProviderName;
  provider_refund_id: string;
}

/**
 * A refund the provider accepted but whose webhook never came: after REFUND_SYNC_AFTER_MS it is asked
 * for its status (outside any transaction) and settled from the answer.
 */
@Injectable()
export class PendingRefundSync implements OnApplicationBootstrap, OnApplicationShutdown {
  private stopped = false;
  private syncTimer?: NodeJS.Timeout;
  private syncing?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly refunds: ProviderRefundsService,
    @Inject(PAYMENT_PROVIDERS) private readonly providers: PaymentProviders,
    @Inject(PAYMENT_ENV) private readonly env: PaymentEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const syncEvery = Math.max(SYNC_POLL_FLOOR_MS, Math.min(this.env.REFUND_SYNC_AFTER_MS, 10_000));
    this.syncTimer = setInterval(() => this.syncOnce(), syncEvery);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.syncTimer);
    await this.syncing;
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
