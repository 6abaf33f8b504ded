import {
  BeforeApplicationShutdown,
  DynamicModule,
  Global,
  Inject,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { HealthRegistry, LOGGER } from '@ebb/observability';
import { AmqpBroker } from './broker';
import { MessageConsumer } from './consumer';
import { DeadLetterController } from './dead-letter.controller';
import { DeadLetterStore } from './dead-letters';
import type { MessagingOptions } from './messaging-options';
import { OutboxRelay } from './outbox-relay';

export const MESSAGING_OPTIONS = Symbol('ebb:messaging-options');

export interface MessagingModuleOptions extends MessagingOptions {
  /** how long shutdown waits for handlers in flight */
  shutdownGraceMs?: number;
}

/**
 * The bus for one service: broker connection, outbox relay, idempotent consumer and the dead-letter
 * admin API. Register handlers on `MessageConsumer` in `onModuleInit`; consuming starts once the
 * application has bootstrapped, and stops (in-flight work finished) before it shuts down.
 */
@Global()
@Module({})
export class MessagingModule implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingModuleOptions,
    private readonly broker: AmqpBroker,
    private readonly consumer: MessageConsumer,
    private readonly relay: OutboxRelay,
    private readonly deadLetters: DeadLetterStore,
    private readonly health: HealthRegistry,
  ) {}

  static forRoot(options: MessagingModuleOptions): DynamicModule {
    return {
      module: MessagingModule,
      controllers: [DeadLetterController],
      providers: [
        { provide: MESSAGING_OPTIONS, useValue: options },
        {
          provide: AmqpBroker,
          inject: [LOGGER],
          useFactory: async (logger: Logger) => {
            const broker = new AmqpBroker({
              url: options.url,
              exchange: options.exchange,
              connectionName: `ebb-${options.service}-${process.pid}`,
              publishTimeoutMs: options.publishTimeoutMs,
              logger,
            });
            await broker.waitForConnect();
            return broker;
          },
        },
        {
          provide: DeadLetterStore,
          inject: [DataSource, AmqpBroker],
          useFactory: (dataSource: DataSource, broker: AmqpBroker) => new DeadLetterStore(dataSource, broker),
        },
        {
          provide: MessageConsumer,
          inject: [DataSource, AmqpBroker, DeadLetterStore, LOGGER],
          useFactory: (dataSource: DataSource, broker: AmqpBroker, store: DeadLetterStore, logger: Logger) =>
            new MessageConsumer(dataSource, broker, store, options, logger),
        },
        {
          provide: OutboxRelay,
          inject: [DataSource, AmqpBroker, LOGGER],
          useFactory: (dataSource: DataSource, broker: AmqpBroker, logger: Logger) =>
            new OutboxRelay(dataSource, broker, {
              databaseUrl: String((dataSource.options as { url?: string }).url),
              batchSize: options.outboxBatchSize,
              pollMs: options.outboxPollMs,
              logger,
            }),
        },
      ],
      exports: [AmqpBroker, MessageConsumer, OutboxRelay, DeadLetterStore, MESSAGING_OPTIONS],
    };
  }

  async onApplicationBootstrap() {
    this.health.register('broker', async () => {
      if (!this.broker.isConnected()) throw new Error('not connected to RabbitMQ');
    });
    await this.deadLetters.refreshGauge();
    await this.consumer.start();
    await this.relay.start();
  }

  async beforeApplicationShutdown() {
    await this.consumer.stop(this.options.shutdownGraceMs);
    // publish what was committed before going away
    await this.relay.wake();
    await this.relay.stop();
  }

  async onApplicationShutdown() {
    await this.broker.close();
  }
}
