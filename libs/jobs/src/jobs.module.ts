import { type BeforeApplicationShutdown, type DynamicModule, Global, Inject, Module, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@ebb/observability';
import { Jobs, type JobsOptions } from './jobs';

/**
 * Durable timers for one service: inject `Jobs`, register handlers in `onModuleInit`. Queues are made
 * before the service takes requests or messages (every declared kind), workers start once the
 * application has bootstrapped, and stop before it shuts down. Needs the service database with
 * `jobsMigrations`.
 */
@Global()
@Module({})
export class JobsModule implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(Jobs) private readonly jobs: Jobs) {}

  static forRoot(options: JobsOptions): DynamicModule {
    return {
      module: JobsModule,
      providers: [{ provide: Jobs, inject: [LOGGER], useFactory: (logger: Logger) => new Jobs(options, logger) }],
      exports: [Jobs],
    };
  }

  async onModuleInit(): Promise<void> {
    await this.jobs.start();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.work();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.jobs.stop();
  }
}
