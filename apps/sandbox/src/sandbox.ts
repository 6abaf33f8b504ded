import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { configureHttpApp } from '@ebb/http';
import { NestPinoLogger, createLogger } from '@ebb/observability';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module';
import type { SandboxEnv } from './config';
import { SmtpSink } from './mail/smtp-sink';

export interface RunningSandbox {
  app: INestApplication;
  /** the HTTP port it listens on (the one asked for, or the free one it got for 0) */
  port: number;
  /** the SMTP sink's port, or null when SMTP_PORT was left unset and 2525 was taken */
  smtpPort: number | null;
  url: string;
  close(): Promise<void>;
}

/** Starts the sandbox's HTTP API and SMTP sink; main.ts and the tests both start it this way. */
export async function startSandbox(env: SandboxEnv): Promise<RunningSandbox> {
  const logger = createLogger('sandbox', env.LOG_LEVEL);
  const app = await NestFactory.create(AppModule.forRoot(env), { bodyParser: false, logger: new NestPinoLogger(logger), abortOnError: false });
  configureHttpApp(app);
  // the stripe SDK sends form bodies and queries with bracket nesting: `metadata[orderId]=…`, `created[gte]=…`
  app.use(express.urlencoded({ extended: true, limit: '1mb' }));
  (app.getHttpAdapter().getInstance() as express.Application).set('query parser', 'extended');
  let smtpPort: number | null;
  try {
    smtpPort = await app.get(SmtpSink).listen();
    await app.listen(env.PORT, env.HOST);
  } catch (error) {
    // a port taken must not leave the half-started app (its timers and sockets) behind
    await app.close();
    throw error;
  }
  const port = (app.getHttpServer().address() as AddressInfo).port;
  return { app, port, smtpPort, url: `http://${env.HOST}:${port}`, close: () => app.close() };
}
