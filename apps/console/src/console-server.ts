import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { z } from 'zod';
import { apiToken } from '@ebb/api-client';
import type { ConsoleEnv } from './config';

/** The roles a person can pick at the dev login: the two operator roles, and a customer to see the refusal. */
export const DEV_ROLES = ['support', 'admin', 'customer'] as const;
const devTokenBody = z.strictObject({
  role: z.enum(DEV_ROLES),
  sub: z.string().regex(/^[A-Za-z0-9_.:@-]{1,100}$/, 'must be 1–100 letters, digits or _ . : @ -').optional(),
});

/** What the page is told at run time, so that one build serves any deployment. */
export interface ConsoleRuntimeConfig {
  services: ConsoleEnv['services'];
  /** the dev login is offered (never in production) */
  devLogin: boolean;
  /** the shop's identity provider, which sends a person back with `#token=<JWT>` */
  ssoUrl: string | null;
}

const refuse = (res: Response, status: number, code: string, message: string, details?: unknown) =>
  res.status(status).json({ error: { code, message, ...(details === undefined ? {} : { details }) } });

/**
 * The console's own server: the built page, `/config.json` from the environment, and in development
 * `POST /dev-token` (a token signed with the development secret for the role picked). It holds no
 * data and calls no service: the page talks to the services' public API itself (CORS).
 */
export function consoleApp(env: ConsoleEnv): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const apiOrigins = [...new Set(Object.values(env.services).map((url) => new URL(url).origin))];
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          // the page calls the services (and reads refund-service's /metrics) and nothing else
          connectSrc: ["'self'", ...apiOrigins],
          // Mantine sets CSS variables and positions in style attributes
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          upgradeInsecureRequests: null,
        },
      },
    }),
  );

  app.get('/health/live', (_req, res) => res.json({ status: 'ok' }));
  app.get('/health/ready', (_req, res) => {
    const built = existsSync(path.join(env.CONSOLE_DIST, 'index.html'));
    res.status(built ? 200 : 503).json({ status: built ? 'ok' : 'not built', dist: env.CONSOLE_DIST });
  });

  app.get('/config.json', (_req, res) => {
    const config: ConsoleRuntimeConfig = { services: env.services, devLogin: env.devLogin, ssoUrl: env.CONSOLE_SSO_URL ?? null };
    res.set('cache-control', 'no-store').json(config);
  });

  app.post('/dev-token', express.json({ limit: '2kb' }), (req, res) => {
    if (!env.devLogin) return refuse(res, 404, 'route_not_found', 'The dev login is off: sign in with the shop\'s identity provider.');
    const parsed = devTokenBody.safeParse(req.body ?? {});
    if (!parsed.success) {
      const details = parsed.error.issues.map((issue) => ({ field: issue.path.join('.') || 'body', message: issue.message }));
      return refuse(res, 400, 'validation_error', 'The request body is invalid.', details);
    }
    const { role, sub = `${role}-dev` } = parsed.data;
    res.set('cache-control', 'no-store').status(201).json({ token: apiToken(role, sub, env.jwtSecret), role, sub });
  });

  // the built page; its assets carry a hash in their names, so they are cached for good
  app.use('/assets', express.static(path.join(env.CONSOLE_DIST, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false }));
  app.use(express.static(env.CONSOLE_DIST, { index: false }));
  // every other GET is a page of the console: the router in the page decides which
  app.get(/.*/, (_req, res, next) => {
    const index = path.join(env.CONSOLE_DIST, 'index.html');
    if (!existsSync(index)) return refuse(res, 503, 'console_not_built', 'The console is not built: run `npm run console:build`.');
    res.set('cache-control', 'no-cache').sendFile(index, (error) => error && next(error));
  });
  app.use((_req: Request, res: Response) => refuse(res, 404, 'route_not_found', 'No such route.'));
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: number }).status ?? 500;
    if (status === 404) return refuse(res, 404, 'route_not_found', 'No such file.');
    refuse(res, status >= 400 && status < 500 ? status : 500, status >= 500 ? 'internal_error' : 'bad_request', status >= 500 ? 'Something went wrong.' : 'The request is invalid.');
  });
  return app;
}

/** Listens on HOST:PORT; resolves once it does. */
export function startConsole(env: ConsoleEnv): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = consoleApp(env).listen(env.PORT, env.HOST, () => resolve(server));
    server.once('error', reject);
  });
}
