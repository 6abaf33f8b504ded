import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { JWT_SECRET, JwtAuthGuard } from './auth/jwt-auth.guard';
import { ServiceIdentity } from './auth/jwt';
import { ApiExceptionFilter } from './errors/api-exception.filter';
import { IDEMPOTENCY_OPTIONS, type IdempotencyOptions, IdempotencyStore } from './idempotency/idempotency.store';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { AuditController } from './audit/audit.controller';
import { AuditInterceptor } from './audit/audit.interceptor';
import { RATE_LIMIT_OPTIONS, type RateLimitOptions, WriteRateLimitGuard } from './limits/write-rate-limit.guard';

export interface HttpPlatformOptions {
  /** the HS256 secret of people's tokens (`EBB_JWT_SECRET`) */
  jwtSecret: string;
  /** the HS256 secret of `service` tokens (`EBB_SERVICE_SECRET`); the JWT secret when not given */
  serviceSecret?: string;
  /** the name this service signs its own `service` tokens with (its ServiceIdentity) */
  service?: string;
  idempotency?: IdempotencyOptions;
  /** per caller and route write limits, counted in Redis; none when absent */
  rateLimits?: RateLimitOptions;
}

/**
 * The HTTP rules of every service, applied globally: the JWT guard, then the write limits, the
 * error filter, the audit of support's and admin's writes (`GET /v1/admin/audit`) and
 * `Idempotency-Key` on POST. Needs PersistenceModule (its DataSource holds the keys, so list
 * `httpMigrations` among the service's migrations) and ObservabilityModule (its LOGGER).
 */
@Global()
@Module({})
export class HttpPlatformModule {
  static forRoot(options: HttpPlatformOptions): DynamicModule {
    // an empty secret would make every token trivially forgeable
    if (!options.jwtSecret) throw new Error('HttpPlatformModule needs a non-empty jwtSecret');
    const serviceSecret = options.serviceSecret || options.jwtSecret;
    return {
      module: HttpPlatformModule,
      controllers: [AuditController],
      providers: [
        { provide: JWT_SECRET, useValue: { jwtSecret: options.jwtSecret, serviceSecret } },
        { provide: ServiceIdentity, useValue: new ServiceIdentity(options.service ?? 'ebb', serviceSecret) },
        { provide: IDEMPOTENCY_OPTIONS, useValue: options.idempotency ?? {} },
        IdempotencyStore,
        { provide: RATE_LIMIT_OPTIONS, useValue: options.rateLimits },
        // global guards run in the order given: the limits count the caller the JWT guard verified
        { provide: APP_GUARD, useClass: JwtAuthGuard },
        { provide: APP_GUARD, useClass: WriteRateLimitGuard },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        // the audit wraps the idempotency interceptor, so an answer replayed from a key is recorded as such
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
      ],
      exports: [JWT_SECRET, ServiceIdentity, IdempotencyStore],
    };
  }
}
