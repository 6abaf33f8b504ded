import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { type Client, NOOP_PROVIDER, OpenFeature, type Provider } from '@openfeature/server-sdk';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { LOGGER, counter } from '@ebb/observability';
import { PER_PRODUCT_POLICIES } from './rollout-flag';

/** The OpenFeature provider refund-service evaluates its rollout flags with (DatabaseFlagProvider unless a shop binds its own). */
export const FLAG_PROVIDER = Symbol('ebb:refund-flag-provider');

const evaluationErrors = counter('feature_flag_evaluation_errors_total', 'Flag evaluations that failed and answered the default (off)', ['flag', 'code']);

/**
 * Which sellers are judged by per-product refund windows, asked through OpenFeature: the seller is the
 * targeting key, its registration time (kept from inventory.seller_updated) and, for a past purchase,
 * the time asked about travel in the context. A failed evaluation answers "off": the seller keeps the
 * seller-wide window, exactly as before.
 */
@Injectable()
export class RolloutFlags implements OnModuleDestroy {
  // a domain of this app's own: several apps (replicas in a test) in one process keep their providers apart
  private readonly domain = `refund-service:${randomUUID()}`;
  private readonly client: Client;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(FLAG_PROVIDER) provider: Provider,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    OpenFeature.setProvider(this.domain, provider);
    this.client = OpenFeature.getClient(this.domain);
  }

  /** Whether per-product windows judge this seller now, or as the flag stood at `asOf` (a purchase), and why. */
  async perProductPolicies(sellerId: string, asOf?: Date): Promise<{ enabled: boolean; reason: string }> {
    const [seller]: { registered_at: Date }[] = await this.dataSource.query(`SELECT registered_at FROM sellers WHERE seller_id = $1`, [sellerId]);
    const details = await this.client.getBooleanDetails(PER_PRODUCT_POLICIES, false, {
      targetingKey: sellerId,
      ...(seller ? { registeredAt: seller.registered_at.toISOString() } : {}),
      ...(asOf ? { asOf: asOf.toISOString() } : {}),
    });
    if (details.errorCode) {
      evaluationErrors.inc({ flag: PER_PRODUCT_POLICIES, code: details.errorCode });
      this.logger.warn({ flag: PER_PRODUCT_POLICIES, sellerId, code: details.errorCode, err: details.errorMessage }, 'flag evaluation failed; answering off');
      return { enabled: false, reason: 'evaluation_failed' };
    }
    return { enabled: details.value, reason: details.variant ?? (details.value ? 'enabled' : 'disabled') };
  }

  onModuleDestroy(): void {
    // the provider bound to this app's domain (and its DataSource) goes with it
    OpenFeature.setProvider(this.domain, NOOP_PROVIDER);
  }
}
