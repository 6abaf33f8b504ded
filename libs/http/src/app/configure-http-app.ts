import type { INestApplication } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { bodyParserError } from '../errors/error-body';
import { HttpErrorCode, httpError } from '../errors/error-codes';

export interface HttpAppOptions {
  /** the largest JSON body accepted (bytes, or `'1mb'`-like); larger → 413 `payload_too_large` */
  bodyLimit?: string | number;
  /** the deepest nesting of arrays and objects accepted; deeper → 400 `validation_error` */
  maxDepth?: number;
  /** browser origins allowed to call the API (CORS); none when empty, so a browser on another origin is refused */
  corsOrigins?: readonly string[];
}

/** What a browser client may send and read across origins: the API's own headers. */
const CORS = {
  methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
  allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Correlation-Id'],
  exposedHeaders: ['Idempotent-Replayed', 'Request-Id', 'Retry-After', 'X-Correlation-Id'],
  maxAge: 600,
};

/** No body Ebb accepts nests deeper than a handful of levels; a deeper one is refused before anything recurses over it. */
export const MAX_BODY_DEPTH = 32;

/** Whether a parsed JSON value nests arrays and objects deeper than `max`; iterative, so any depth is safe to ask. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Object.values(node)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
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
  // security headers on every answer (nosniff, no framing by others, a same-origin CSP the Swagger UI at /docs keeps to);
  // no upgrade-insecure-requests: a service reached over plain HTTP (compose, a cluster's inside) must still load /docs
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  const origins = options.corsOrigins ?? [];
  if (origins.length > 0) app.enableCors({ ...CORS, origin: [...origins], credentials: false });

  // no route takes a NUL character (ids are letters, digits and _ . : -), and PostgreSQL's text cannot hold one: a path
  // with %00 is refused here, before the audit, the Idempotency-Key or a handler writes it anywhere
  app.use(function refuseNulInPath(req: Request, _res: Response, next: NextFunction) {
    if (!/%00/.test(req.path)) return next();
    next(httpError(HttpErrorCode.ValidationError, 'The request path is invalid.', [{ field: 'path', message: 'must not hold a NUL character (%00)' }]));
  });

  const maxDepth = options.maxDepth ?? MAX_BODY_DEPTH;
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
    parse(req, res, (error?: unknown) => {
      if (error) return next(bodyParserError(error) ?? error);
      if (nestedDeeperThan(req.body, maxDepth)) {
        const message = `is nested deeper than ${maxDepth} levels`;
        return next(httpError(HttpErrorCode.ValidationError, 'The request body is invalid.', [{ field: 'body', message }]));
      }
      next();
    });
  });
  app.enableShutdownHooks();
  return app;
}
