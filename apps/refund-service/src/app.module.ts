import { type DynamicModule, Module } from '@nestjs/common';
import { platformImports } from '@ebb/service';
import type { RefundEnv } from './config';
import { refundEntities, refundMigrations } from './migrations';
import { PolicyMigrationModule } from './policy-migration/policy-migration.module';
import { RefundsModule } from './refunds/refunds.module';

/** refund-service: the platform (with Redis locks), refunds, refund policies and their migration. */
@Module({})
export class AppModule {
  static forRoot(env: RefundEnv): DynamicModule {
    const refunds = RefundsModule.forRoot(env);
    return {
      module: AppModule,
      imports: [...platformImports(env, { entities: refundEntities, migrations: refundMigrations, locking: true, outbound: true, jobs: true }), refunds, PolicyMigrationModule.forRoot(env, refunds)],
    };
  }
}
