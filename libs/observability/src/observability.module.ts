import { Controller, DynamicModule, Get, Global, Inject, MiddlewareConsumer, Module, NestModule, Res } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { CORRELATION_HEADER, newCorrelationId, runWithCorrelation } from './correlation';
import { HealthRegistry } from './health';
import { createLogger } from './logger';
import { FAST_BUCKETS, collectDefaults, histogram, metricsRegistry } from './metrics';
import { Public } from './public.decorator';

export const LOGGER = Symbol('ebb:logger');
export const SERVICE_NAME = Symbol('ebb:service-name');

@Public()
@Controller()
export class ObservabilityController {
  constructor(private readonly health: HealthRegistry) {}

  @Get('metrics')
  async metrics(@Res() res: Response) {
    res.setHeader('Content-Type', metricsRegistry.contentType);
    res.send(await metricsRegistry.metrics());
  }

  @Get('health/live')
  live() {
    return { status: 'ok' };
  }

  @Get('health/ready')
  async ready(@Res() res: Response) {
    const result = await this.health.run();
    res.status(result.ok ? 200 : 503).json({ status: result.ok ? 'ok' : 'unavailable', checks: result.checks });
  }
}

const VALID_CORRELATION_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Every request runs inside a correlation context taken from `x-correlation-id` or made anew. */
export function correlationMiddleware(req: Request, res: Response, next: NextFunction) {
  const given = req.header(CORRELATION_HEADER);
  const correlationId = given && VALID_CORRELATION_ID.test(given) ? given : newCorrelationId();
  res.setHeader(CORRELATION_HEADER, correlationId);
  runWithCorrelation({ correlationId }, next);
}

export function httpMetricsMiddleware(logger: Logger) {
  const duration = histogram(
    'http_request_duration_seconds',
    'HTTP request duration by method, route and status',
    ['method', 'route', 'status'],
    FAST_BUCKETS,
  );
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      duration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      logger.debug({ method: req.method, url: req.originalUrl, status: res.statusCode, ms: Math.round(seconds * 1000) }, 'request');
    });
    next();
  };
}

@Global()
@Module({})
export class ObservabilityModule implements NestModule {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  /** /metrics, /health/live, /health/ready, JSON logs and the correlation context for one service. */
  static forRoot(options: { service: string; logger?: Logger }): DynamicModule {
    collectDefaults(options.service);
    const logger = options.logger ?? createLogger(options.service);
    return {
      module: ObservabilityModule,
      controllers: [ObservabilityController],
      providers: [
        HealthRegistry,
        { provide: LOGGER, useValue: logger },
        { provide: SERVICE_NAME, useValue: options.service },
      ],
      exports: [HealthRegistry, LOGGER, SERVICE_NAME],
    };
  }

  configure(consumer: MiddlewareConsumer) {
    consumer.apply(correlationMiddleware, httpMetricsMiddleware(this.logger)).forRoutes('*');
  }
}
