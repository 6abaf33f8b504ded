import type { AddressInfo } from 'node:net';
import { type DynamicModule, type INestApplication, type LogLevel, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, DEV_JWT_SECRET } from '@ebb/config';
import { type Role, configureHttpApp, signToken } from '@ebb/http';

type ModuleRef = Type<unknown> | DynamicModule;

export interface TestAppOptions {
  /** the root module of the service under test; or give `imports` and one is made */
  module?: ModuleRef;
  imports?: ModuleRef[];
  bodyLimit?: string | number;
  /** browser origins allowed by CORS (CORS_ORIGINS in a service) */
  corsOrigins?: readonly string[];
  /** Nest's own start-up logs are noise in tests; errors and warnings stay */
  logLevels?: LogLevel[];
  /** the port to listen on (one from `freePort`, when the app's own settings must name its address); a free one otherwise */
  port?: number;
}

export interface TestApp {
  app: INestApplication;
  /** `http://127.0.0.1:<port>`, no trailing slash */
  url: string;
  close(): Promise<void>;
}

/** Boots a service as it runs in production (same body parser, guard, filter), on a free local port. */
export async function bootTestApp(options: TestAppOptions): Promise<TestApp> {
  let root = options.module;
  if (!root) {
    @Module({ imports: options.imports ?? [] })
    class TestRootModule {}
    root = TestRootModule;
  }
  const app = await NestFactory.create(root, { bodyParser: false, logger: options.logLevels ?? ['error', 'warn'] });
  configureHttpApp(app, { bodyLimit: options.bodyLimit, corsOrigins: options.corsOrigins });
  await app.listen(options.port ?? 0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/** A bearer token for `role` (signed with the development secret unless told). */
export function tokenFor(role: Role, sub: string, secret = DEV_JWT_SECRET): string {
  return signToken({ sub, role }, secret);
}

/** The variables a configuration refuses, in order (none when it loads). */
export function refusedVariables(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => issue.variable);
    throw error;
  }
  return [];
}
