import { type DynamicModule, Global, Module } from '@nestjs/common';
import { platformImports } from '@ebb/service';
import { NOTIFICATION_ENV, type NotificationEnv } from './config';
import { NotificationsModule } from './notifications/notifications.module';
import { notificationDatabase } from './database';

@Global()
@Module({})
class NotificationEnvModule {
  static forRoot(env: NotificationEnv): DynamicModule {
    return { module: NotificationEnvModule, providers: [{ provide: NOTIFICATION_ENV, useValue: env }], exports: [NOTIFICATION_ENV] };
  }
}

/** notification-service: the platform (database, bus, HTTP rules, metrics) and the notifications feature. */
@Module({})
export class AppModule {
  static forRoot(env: NotificationEnv): DynamicModule {
    return {
      module: AppModule,
      imports: [...platformImports(env, { ...notificationDatabase, outbound: { pollMs: env.NOTIFY_POLL_MS, concurrency: env.NOTIFY_BATCH_SIZE } }), NotificationEnvModule.forRoot(env), NotificationsModule],
    };
  }
}
