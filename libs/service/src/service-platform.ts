import type { DynamicModule, Type } from '@nestjs/common';
import type { EntitySchema, MixedList } from 'typeorm';
import type { ServiceEnv } from '@ebb/config';
import { HttpPlatformModule, httpMigrations } from '@ebb/http';
import { LockingModule } from '@ebb/locking';
import { MessagingModule, messagingMigrations } from '@ebb/messaging';
import { ObservabilityModule, createLogger } from '@ebb/observability';
import { JobsModule } from '@ebb/jobs';
import { OutboundModule, outboundMigrations } from '@ebb/outbound';
import { type DatabaseOptions, PersistenceModule } from '@ebb/persistence';

export interface PlatformOptions {
  entities: MixedList<Function | string | EntitySchema>;
  /** the service's own migrations; the libraries' tables (outbox, inbox, dead letters, idempotency keys) come first */
  migrations: Function[];
  /** Redis locks (refund-service) */
  locking?: boolean;
  /** calls to the outside world through the outbound-call loop (providers, the carrier, other services); true for its defaults */
  outbound?: boolean | { pollMs?: number; concurrency?: number };
  /** durable timers (pg-boss, `@ebb/jobs`): list `jobsMigrations` among the service's own */
  jobs?: boolean;
}

/** Every migration a service database needs, in order: the libraries' tables, then the service's own. */
export function serviceMigrations(own: Function[]): Function[] {
  return [...messagingMigrations, ...httpMigrations, ...outboundMigrations, ...own];
}

/** The database options of a service, as its app and `migrate.ts` both open it. */
export function serviceDatabase(env: ServiceEnv, options: Pick<PlatformOptions, 'entities' | 'migrations'>): DatabaseOptions {
  return {
    url: env.DATABASE_URL,
    entities: options.entities,
    migrations: serviceMigrations(options.migrations),
    poolSize: env.DATABASE_POOL_SIZE,
    applicationName: env.SERVICE_NAME,
  };
}

/**
 * The modules every service imports: metrics, health and logs; its database (migrated before it
 * listens); the HTTP conventions of api-v1; the bus (outbox relay, consumer, dead letters); and
 * Redis locks where asked.
 */
export function platformImports(env: ServiceEnv, options: PlatformOptions): (DynamicModule | Type)[] {
  const imports: (DynamicModule | Type)[] = [
    // the parsed LOG_LEVEL, so a service configured in code (tests) logs at the level it was given
    ObservabilityModule.forRoot({ service: env.SERVICE_NAME, logger: createLogger(env.SERVICE_NAME, env.LOG_LEVEL) }),
    PersistenceModule.forRoot(serviceDatabase(env, options)),
    HttpPlatformModule.forRoot({
      jwtSecret: env.EBB_JWT_SECRET,
      serviceSecret: env.EBB_SERVICE_SECRET,
      service: env.SERVICE_NAME,
      rateLimits: {
        // the first Redis: a limit needs one shared count, not a quorum
        redisUrl: env.REDIS_URLS[0],
        service: env.SERVICE_NAME,
        customerWrites: env.RATE_LIMIT_CUSTOMER_WRITES,
        staffWrites: env.RATE_LIMIT_STAFF_WRITES,
        windowSeconds: env.RATE_LIMIT_WINDOW_SECONDS,
      },
    }),
    MessagingModule.forRoot({
      service: env.SERVICE_NAME,
      url: env.AMQP_URL,
      exchange: env.EBB_EXCHANGE,
      prefetch: env.AMQP_PREFETCH,
      maxRetries: env.MESSAGE_MAX_RETRIES,
      retryDelaysMs: env.MESSAGE_RETRY_DELAYS_MS,
      outboxPollMs: env.OUTBOX_POLL_MS,
      outboxBatchSize: env.OUTBOX_BATCH_SIZE,
      shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    }),
  ];
  if (options.locking) imports.push(LockingModule.forRoot({ urls: env.REDIS_URLS }));
  if (options.jobs) {
    imports.push(
      JobsModule.forRoot({
        url: env.DATABASE_URL,
        applicationName: `${env.SERVICE_NAME}-jobs`,
        pollSeconds: env.JOBS_POLL_SECONDS,
        expireSeconds: env.JOBS_EXPIRE_SECONDS,
        maintenanceSeconds: env.JOBS_MAINTENANCE_SECONDS,
      }),
    );
  }
  if (options.outbound) imports.push(OutboundModule.forRoot({ pollMs: env.OUTBOUND_POLL_MS, ...(options.outbound === true ? {} : options.outbound) }));
  return imports;
}
