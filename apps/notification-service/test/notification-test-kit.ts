import { DataSource } from 'typeorm';
import { loadConfig } from '@ebb/config';
import { AmqpBroker } from '@ebb/messaging';
import { type PublishAs, deleteBusTopology, type TestApp, type TestDatabase, bootTestApp, freshDatabase, publisherOn, uniqueSuffix } from '@ebb/testing';
import { AppModule } from '../src/app.module';
import { type NotificationEnv, notificationEnvSchema } from '../src/config';
import { SmtpSink } from './smtp-sink';

export interface NotificationTestBed {
  testApp: TestApp;
  smtp: SmtpSink;
  dataSource: DataSource;
  /** publishes an event as its owner's outbox relay would; returns the message id */
  publish: PublishAs;
  close(): Promise<void>;
}

const RETRY_DELAYS_MS = [100, 200, 400];

/**
 * notification-service as it runs, on a fresh database, an exchange and service name of the test's
 * own, mailing an SMTP server of the test's own; quick retries and sends, `settings` on top.
 */
export async function openNotificationTestBed(label: string, settings: Record<string, string> = {}): Promise<NotificationTestBed> {
  const suffix = uniqueSuffix();
  const service = `notifications-test-${label}-${suffix}`;
  const exchange = `ebb.test.notifications-${label}.${suffix}`;
  const database: TestDatabase = await freshDatabase(`notifications_${label}`);
  const smtp = await new SmtpSink().start();
  const env: NotificationEnv = {
    ...loadConfig(notificationEnvSchema, {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: database.url,
      EBB_EXCHANGE: exchange,
      MESSAGE_RETRY_DELAYS_MS: RETRY_DELAYS_MS.join(','),
      SMTP_URL: smtp.url,
      NOTIFY_POLL_MS: '100',
      NOTIFY_BACKOFF_MS: '100',
      NOTIFY_MAX_ATTEMPTS: '3',
      NOTIFY_SLOW_RETRY_MS: '300',
      NOTIFY_SEND_TIMEOUT_MS: '5000',
      ...settings,
    }),
    SERVICE_NAME: service,
  };
  const testApp = await bootTestApp({ module: AppModule.forRoot(env) });
  return {
    testApp,
    smtp,
    dataSource: testApp.app.get(DataSource),
    publish: publisherOn(testApp.app.get(AmqpBroker)),
    async close() {
      await testApp.close();
      await deleteBusTopology({ service, exchange, retryDelaysMs: RETRY_DELAYS_MS });
      await smtp.stop();
      await database.drop();
    },
  };
}
