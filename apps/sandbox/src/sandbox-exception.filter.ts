import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import { ApiExceptionFilter } from '@ebb/http';
import { LOGGER } from '@ebb/observability';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { StripeError, StripeErrorCode } from './stripe/stripe-errors';

/**
 * Stripe's paths (`/v1/…`) answer in Stripe's error shape even for an unknown route or a body that
 * does not parse, so the SDK raises its own typed errors; the sandbox's own paths use api-v1's.
 */
@Catch()
export class SandboxExceptionFilter implements ExceptionFilter {
  private readonly api: ApiExceptionFilter;

  constructor(@Inject(LOGGER) private readonly logger: Logger) {
    this.api = new ApiExceptionFilter(logger);
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    if (!req.path.startsWith('/v1/')) return this.api.catch(exception, host);
    const res = host.switchToHttp().getResponse<Response>();
    const status = exception instanceof HttpException ? exception.getStatus() : 500;
    let error: StripeError;
    if (status === 404) error = new StripeError(StripeErrorCode.RouteNotFound, `Unrecognized request URL (${req.method}: ${req.path}).`);
    else if (status < 500) error = new StripeError(StripeErrorCode.ParameterInvalid, 'The request could not be parsed.');
    else {
      this.logger.error({ err: exception, url: req.originalUrl }, 'stripe call failed with an unexpected error');
      error = new StripeError(StripeErrorCode.InternalError, 'An unknown error occurred.');
    }
    res.status(error.status).json(error.toBody());
  }
}
