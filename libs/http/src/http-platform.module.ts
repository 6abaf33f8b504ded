import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { JWT_SECRET, JwtAuthGuard } from './auth/jwt-auth.guard';
import { ApiExceptionFilter } from './errors/api-exception.filter';
import { IDEMPOTENCY_OPTIONS, type IdempotencyOptions, IdempotencyStore } from './idempotency/idempotency.store';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';

export interface HttpPlatformOptions {
  /** the HS256 secret (`EBB_JWT_SECRET`) */
  jwtSecret: string;
  idempotency?: IdempotencyOptions;
}

/**
 * The HTTP rules of every service, applied globally: the JWT guard, the error filter and
 * `Idempotency-Key` on POST. Needs PersistenceModule (its DataSource holds the keys, so list
 * `httpMigrations` among the service's migrations) and ObservabilityModule (its LOGGER).
 */
@Global()
@Module({})
export class HttpPlatformModule {
  static forRoot(options: HttpPlatformOptions): DynamicModule {
    // an empty secret would make every token trivially forgeable
    if (!options.jwtSecret) throw new Error('HttpPlatformModule needs a non-empty jwtSecret');
    return {
      module: HttpPlatformModule,
      providers: [
        { provide: JWT_SECRET, useValue: options.jwtSecret },
        { provide: IDEMPOTENCY_OPTIONS, useValue: options.idempotency ?? {} },
        IdempotencyStore,
        { provide: APP_GUARD, useClass: JwtAuthGuard },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
      ],
      exports: [JWT_SECRET, IdempotencyStore],
    };
  }
}
