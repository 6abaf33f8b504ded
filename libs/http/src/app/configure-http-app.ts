import type { INestApplication } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';
import { bodyParserError } from '../errors/error-body';

export interface HttpAppOptions {
  /** the largest JSON body accepted (bytes, or `'1mb'`-like); larger → 413 `payload_too_large` */
  bodyLimit?: string | number;
}

/** A request as parsed here: `rawBody` keeps the exact bytes, for webhook signatures. */
export interface RawBodyRequest extends Request {
  rawBody?: Buffer;
}

/**
 * Prepares an app created with `{ bodyParser: false }` before it listens: JSON bodies up to the limit
 * (their parse errors become 400/413/415 refusals), no proxy trust, shutdown hooks.
 */
export function configureHttpApp<T extends INestApplication>(app: T, options: HttpAppOptions = {}): T {
  const instance = app.getHttpAdapter().getInstance() as express.Application;
  // X-Forwarded-* come from whoever calls us: never believe them for req.ip or req.protocol
  instance.set('trust proxy', false);
  instance.disable('x-powered-by');

  const parse = express.json({
    limit: options.bodyLimit ?? '1mb',
    // any JSON value is parsed, so `"x"` or `[]` reach validation and get a validation_error
    strict: false,
    type: ['application/json', 'application/*+json'],
    verify: (req, _res, buffer) => {
      (req as RawBodyRequest).rawBody = buffer;
    },
  });
  // named like Nest's own parser, so Nest does not add a second one if bodyParser was left on
  app.use(function jsonParser(req: Request, res: Response, next: NextFunction) {
    parse(req, res, (error?: unknown) => (error ? next(bodyParserError(error) ?? error) : next()));
  });
  app.enableShutdownHooks();
  return app;
}
