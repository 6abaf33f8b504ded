import { type DynamicModule, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ServiceIdentity } from '@ebb/http';
import type { RefundEnv } from '../config';
import { DatabaseFlagProvider } from '../flags/database-flag-provider';
import { FlagsController } from '../flags/flags.controller';
import { FLAG_PROVIDER, RolloutFlags } from '../flags/rollout-flags';
import { InventoryClient } from '../inventory/inventory.client';
import { SellerRegistrations } from '../sellers/seller-registrations';
import { RefundPolicies } from './refund-policies';
import { RefundPolicyController } from './refund-policy.controller';
import { RefundWindows } from './refund-windows';

/**
 * Refund windows: policies per product and seller with the seller's rules and their change log, the
 * window in force (and at a purchase), the per-product rollout flag (OpenFeature over this service's
 * database: bind another provider to FLAG_PROVIDER to use a shop's own flag service), the sellers'
 * registrations, and the catalogue read from inventory-service.
 */
@Module({})
export class PoliciesModule {
  static forRoot(env: RefundEnv): DynamicModule {
    return {
      module: PoliciesModule,
      controllers: [RefundPolicyController, FlagsController],
      providers: [
        { provide: FLAG_PROVIDER, useFactory: (dataSource: DataSource) => new DatabaseFlagProvider(dataSource), inject: [DataSource] },
        { provide: InventoryClient, useFactory: (identity: ServiceIdentity) => new InventoryClient(env.INVENTORY_URL, env.INVENTORY_TIMEOUT_MS, identity), inject: [ServiceIdentity] },
        RolloutFlags,
        RefundWindows,
        RefundPolicies,
        SellerRegistrations,
      ],
      exports: [RefundWindows, RolloutFlags, InventoryClient],
    };
  }
}
