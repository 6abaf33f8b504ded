import { type DynamicModule, Module } from '@nestjs/common';
import type { RefundEnv } from '../config';
import { Recommender } from '../recommendation/recommender';
import { loadVocabulary } from '../recommendation/vocabulary';
import { PolicyMigrationController } from './policy-migration.controller';
import { PolicyMigrationSteps } from './policy-migration-steps';
import { PolicyMigrations } from './policy-migrations';

/** Policy migration runs: recommendations from the catalogue, applied in batches, sellers told, rolled back exactly. */
@Module({})
export class PolicyMigrationModule {
  /** `refunds`: the RefundsModule of the app (its order-service client, environment and policies). */
  static forRoot(env: RefundEnv, refunds: DynamicModule): DynamicModule {
    return {
      module: PolicyMigrationModule,
      imports: [refunds],
      controllers: [PolicyMigrationController],
      // the vocabulary is read (and checked) at start: a shop's file with a mistake stops the service
      providers: [{ provide: Recommender, useFactory: () => new Recommender(loadVocabulary(env.POLICY_VOCABULARY_PATH), env.POLICY_MIN_CONFIDENCE) }, PolicyMigrationSteps, PolicyMigrations],
    };
  }
}
