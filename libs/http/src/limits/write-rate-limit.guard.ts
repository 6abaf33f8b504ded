import { type CanActivate, type ExecutionContext, Inject, Injectable, type OnApplicationShutdown, Optional } from '@nestjs/common';
import Redis from 'ioredis';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { LOGGER } from '@ebb/observability';
import type { AuthenticatedRequest } from '../auth/jwt-auth.guard';
import type { Role } from '../auth/roles';
import { isWrite, routeOf } from '../app/request-route';
import { HttpErrorCode, httpError } from '../errors/error-codes';

/** Injection token of the write limits of this service. */
export const RATE_LIMIT_OPTIONS = Symbol('ebb:rate-limit-options');

export interface RateLimitOptions {
  /** the Redis every replica of the service shares, so a limit holds across them */
  redisUrl: string;
  /** names the counters (a service's replicas share them; two services do not) */
  service: string;
  /** writes one customer may make to one route per window; 0 for no limit */
  customerWrites: number;
  /** the same for support and admin (their tools and scripts write in bursts); 0 for no limit */
  staffWrites: number;
  windowSeconds: number;
}

/**
 * Per caller and route, a budget of writes per window (fixed windows counted in Redis by
 * rate-limiter-flexible): past it, 429 `too_many_requests` with `Retry-After` in seconds, before
 * anything runs or an Idempotency-Key is claimed. Reads, unauthenticated routes (provider webhooks,
 * verified by their signature) and other services (`service` tokens) are not limited. While Redis
 * cannot answer, each replica counts in its own memory with the same budget, so a Redis outage
 * neither stops writes nor lifts the limit.
 */
@Injectable()
export class WriteRateLimitGuard implements CanActivate, OnApplicationShutdown {
  private readonly redis?: Redis;
  private readonly limiters: Partial<Record<Role, RateLimiterRedis>> = {};

  constructor(
    @Optional() @Inject(RATE_LIMIT_OPTIONS) options?: RateLimitOptions,
    @Optional() @Inject(LOGGER) private readonly logger?: Logger,
  ) {
    if (!options || (options.customerWrites === 0 && options.staffWrites === 0)) return;
    // no offline queue: a count Redis cannot take now goes to the in-memory limiter at once, not into a queue
    this.redis = new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: false });
    this.redis.on('error', (error) => this.logger?.debug({ err: error.message }, 'rate limits: Redis unavailable, counting in memory'));
    const limiter = (role: string, points: number) =>
      new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: `ebb:rate:${options.service}:${role}`,
        points,
        duration: options.windowSeconds,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: `ebb:rate:${options.service}:${role}`, points, duration: options.windowSeconds }),
      });
    if (options.customerWrites > 0) this.limiters.customer = limiter('customer', options.customerWrites);
    if (options.staffWrites > 0) {
      this.limiters.support = limiter('support', options.staffWrites);
      this.limiters.admin = limiter('admin', options.staffWrites);
    }
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = request.principal;
    if (!principal || !isWrite(request)) return true;
    const limiter = this.limiters[principal.role];
    if (!limiter) return true;
    // by route pattern: one caller's writes to every refund's /approve share a budget
    const route = routeOf(request);
    try {
      await limiter.consume(`${principal.sub}:${route}`);
      return true;
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) {
        // neither Redis nor the in-memory limiter could count: serve the write rather than refuse every caller
        this.logger?.warn({ err: (refusal as Error).message }, 'rate limits could not be counted; the write is served');
        return true;
      }
      const seconds = Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
      context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(seconds));
      throw httpError(HttpErrorCode.TooManyRequests, `Too many writes to ${route}; try again in ${seconds} s.`, { retryAfterSeconds: seconds });
    }
  }

  onApplicationShutdown(): void {
    this.redis?.disconnect();
  }
}
