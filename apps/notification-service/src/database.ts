import { Notification } from './notifications/notification.entity';
import { inboxRenames } from '@ebb/messaging';
import { Notifications1764500000000 } from './migrations/notifications.migration';
import { NotificationsFailedIndex1765600000000 } from './migrations/notifications-failed-index.migration';
import { NotificationsSellers1765712000000 } from './migrations/seller-notifications.migration';

// the inbox handlers named <service>.<verb>-<what>, as every other service names them
const InboxNames1765400000000 = inboxRenames('InboxNames1765400000000', {
  'notify-payment-receipt': 'notifications.mail-payment-receipt',
  'notify-refund-step': 'notifications.notify-refund-step',
});

/** The service's entities and migrations, as the app and `migrate.ts` both open the database. */
export const notificationDatabase = {
  entities: [Notification],
  migrations: [Notifications1764500000000, InboxNames1765400000000, NotificationsFailedIndex1765600000000, NotificationsSellers1765712000000],
};
