import { ArgumentsHost, Catch, ExceptionFilter, Inject, Optional } from '@nestjs/common';
import { LOGGER, createLogger } from '@ebb/observability';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { REPLAYED_HEADER, ReplayedResponse } from '../idempotency/replayed-response';
import { renderError } from './error-body';

/**
 * The one place an HTTP error becomes `{"error": {code, message, details}}`. Expected refusals are
 * answered as they are; anything else is a bug: logged with its stack, answered as a bare 500.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger: Logger;

  constructor(@Optional() @Inject(LOGGER) logger?: Logger) {
    this.logger = logger ?? createLogger('http');
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    // other transports (message consumers) have their own error handling
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();

    if (exception instanceof ReplayedResponse) {
      res.setHeader(REPLAYED_HEADER, 'true');
      res.status(exception.status);
      if (exception.body === null || exception.body === undefined) res.send();
      else res.json(exception.body);
      return;
    }

    const rendered = renderError(exception);
    if (rendered.unexpected) {
      this.logger.error({ err: exception, method: req.method, url: req.originalUrl }, 'request failed with an unexpected error');
    }
    if (res.headersSent) {
      // a handler that wrote part of its answer can only be cut short
      res.end();
      return;
    }
    if (rendered.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
    res.status(rendered.status).json(rendered.body);
  }
}
