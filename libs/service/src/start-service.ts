import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { ServiceEnv } from '@ebb/config';
import { type OpenApiDocument, completeOpenApiDocument, configureHttpApp, operationIdOf } from '@ebb/http';
import { NestPinoLogger, createLogger } from '@ebb/observability';

/**
 * Starts a service as `npm start`, Docker and Kubernetes run it: JSON logs, migrations before it
 * listens (PersistenceModule), the api-v1 HTTP conventions, and a graceful stop on SIGTERM/SIGINT
 * that finishes in-flight work within SHUTDOWN_GRACE_MS. `before` runs before listening (e.g. to
 * attach a gRPC server).
 */
export async function startService(
  module: Type | DynamicModule,
  env: ServiceEnv,
  before?: (app: INestApplication) => Promise<void>,
): Promise<INestApplication> {
  const logger = createLogger(env.SERVICE_NAME, env.LOG_LEVEL);
  try {
    const app = await NestFactory.create(module, { bodyParser: false, logger: new NestPinoLogger(logger), abortOnError: false });
    configureHttpApp(app, { corsOrigins: env.CORS_ORIGINS });
    serveOpenApi(app, env.SERVICE_NAME);
    await before?.(app);
    await app.listen(env.PORT, env.HOST);
    logger.info({ port: env.PORT }, `${env.SERVICE_NAME} listening`);
    // a stop that hangs past the grace period must not hang forever: the orchestrator would kill it anyway
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        logger.info({ signal }, `${signal} received: no new requests or messages; finishing what is in flight`);
        setTimeout(() => {
          logger.error(`${env.SERVICE_NAME} did not stop within ${env.SHUTDOWN_GRACE_MS} ms; exiting`);
          process.exit(1);
        }, env.SHUTDOWN_GRACE_MS + 2000).unref();
      });
    }
    return app;
  } catch (error) {
    logger.fatal({ err: error }, `${env.SERVICE_NAME} failed to start`);
    process.exit(1);
  }
}

/** The service's OpenAPI document, made from its routes and the zod schemas that validate them. */
export function openApiDocument(app: INestApplication, service: string): OpenApiDocument {
  const config = new DocumentBuilder()
    .setTitle(`Ebb ${service}`)
    .setDescription(`The ${service} part of the Ebb public API, version 1 (see api-v1.md)`)
    .setVersion('1')
    .build();
  const document = SwaggerModule.createDocument(app, config, { operationIdFactory: operationIdOf }) as unknown as OpenApiDocument;
  return completeOpenApiDocument(app, document);
}

/** The service's OpenAPI document at `/docs-json`, browsable at `/docs` (api-v1 promises both). */
export function serveOpenApi(app: INestApplication, service: string): void {
  SwaggerModule.setup('docs', app, openApiDocument(app, service) as never, { jsonDocumentUrl: 'docs-json' });
}
