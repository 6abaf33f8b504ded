import { Notification } from './notifications/notification.entity';
import { Notifications1764500000000 } from './migrations/notifications.migration';

/** The service's entities and migrations, as the app and `migrate.ts` both open the database. */
export const notificationDatabase = {
  entities: [Notification],
  migrations: [Notifications1764500000000],
};
