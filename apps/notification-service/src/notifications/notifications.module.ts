import { Module } from '@nestjs/common';
import { NotificationEventsHandler } from './notification-events.handler';
import { NotificationSender } from './notification-sender';
import { NotificationTransport } from './notification-transport';
import { NotificationsController } from './notifications.controller';
import { NotificationAdminController } from './notification-admin.controller';

/** Events in, rows recorded, mail and merchant webhooks out, the log over HTTP. */
@Module({
  controllers: [NotificationsController, NotificationAdminController],
  providers: [NotificationEventsHandler, NotificationTransport, NotificationSender],
})
export class NotificationsModule {}
