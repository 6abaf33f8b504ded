import { type BeforeApplicationShutdown, type DynamicModule, Global, Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { LOGGER } from '@ebb/observability';
import { OutboundCalls, type OutboundOptions } from './outbound-calls';
import { OutboundCallsController } from './outbound-calls.controller';

const DEFAULTS: OutboundOptions = { pollMs: 1000, concurrency: 16 };

/**
 * Outbound calls for one service: register a handler per call kind on `OutboundCalls` in
 * `onModuleInit`; the loop starts once the application has bootstrapped and finishes the calls in
 * flight before it shuts down. Needs PersistenceModule (list `outboundMigrations`) and ObservabilityModule.
 */
@Global()
@Module({})
export class OutboundModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(OutboundCalls) private readonly calls: OutboundCalls) {}

  static forRoot(options: Partial<OutboundOptions> = {}): DynamicModule {
    const settings = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) };
    return {
      module: OutboundModule,
      controllers: [OutboundCallsController],
      providers: [
        {
          provide: OutboundCalls,
          inject: [DataSource, LOGGER],
          useFactory: (dataSource: DataSource, logger: Logger) => new OutboundCalls(dataSource, settings, logger),
        },
      ],
      exports: [OutboundCalls],
    };
  }

  onApplicationBootstrap(): void {
    this.calls.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.calls.stop();
  }
}
