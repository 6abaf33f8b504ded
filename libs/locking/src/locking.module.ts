import { type DynamicModule, Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { HealthRegistry, LOGGER } from '@ebb/observability';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { LockService, type LockServiceOptions } from './lock.service';
import { createRedisClients, pingQuorum, quitRedisClients } from './redis-clients';

/** Injection token of the `Redis[]` clients, one per master. */
export const REDIS_CLIENTS = Symbol('ebb:redis-clients');

export interface LockingModuleOptions {
  /** REDIS_URLS: one URL per independent master. */
  urls: string[];
  lock?: Omit<LockServiceOptions, 'logger'>;
}

/** `LockService` for the whole application, a 'redis' readiness check, clients quit on shutdown. */
@Global()
@Module({})
export class LockingModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENTS) private readonly clients: Redis[]) {}

  static forRoot(options: LockingModuleOptions): DynamicModule {
    return {
      module: LockingModule,
      providers: [
        {
          provide: REDIS_CLIENTS,
          inject: [HealthRegistry],
          useFactory: (health: HealthRegistry) => {
            const clients = createRedisClients(options.urls);
            // ready while a majority answers: that is all a lock needs
            health.register('redis', () => pingQuorum(clients));
            return clients;
          },
        },
        {
          provide: LockService,
          inject: [REDIS_CLIENTS, { token: LOGGER, optional: true }],
          useFactory: (clients: Redis[], logger?: Logger) => new LockService({ clients, options: { ...options.lock, logger } }),
        },
      ],
      exports: [REDIS_CLIENTS, LockService],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await quitRedisClients(this.clients);
  }
}
