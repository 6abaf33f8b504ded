import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { HealthRegistry } from '@ebb/observability';
import { DataSource } from 'typeorm';
import { type DatabaseOptions, openDatabase } from './database';
import { installTransactionNetworkGuard, transactionGuardWanted } from './transaction-guard';

/**
 * The service's TypeORM data source: the database is created if missing and migrated before the
 * application listens. Inject `DataSource`.
 */
@Global()
@Module({})
export class PersistenceModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  static forRoot(options: DatabaseOptions): DynamicModule {
    if (transactionGuardWanted()) installTransactionNetworkGuard();
    return {
      module: PersistenceModule,
      providers: [
        {
          provide: DataSource,
          inject: [HealthRegistry],
          useFactory: async (health: HealthRegistry) => {
            const dataSource = await openDatabase(options);
            health.register('database', async () => {
              await dataSource.query('SELECT 1');
            });
            return dataSource;
          },
        },
      ],
      exports: [DataSource],
    };
  }

  async onApplicationShutdown() {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
