import { Module } from '@nestjs/common';
import { NotificationEventsHandler } from './notification-events.handler';
import { NotificationSender } from './notification-sender';
import { NotificationTransport } from './notification-transport';
import { NotificationsController } from './notifications.controller';
import { NotificationAdminController } from './notification-admin.controller';
import { SellerNoticesHandler } from './seller-notices.handler';
import { SellerNotificationsController } from './seller-notifications.controller';
import { SellerDirectory } from '../sellers/seller-directory';

/** Events in, rows recorded, mail (to customers and sellers) and merchant webhooks out, the log over HTTP. */
@Module({
  controllers: [NotificationsController, NotificationAdminController, SellerNotificationsController],
  providers: [NotificationEventsHandler, SellerDirectory, SellerNoticesHandler, NotificationTransport, NotificationSender],
})
export class NotificationsModule {}
