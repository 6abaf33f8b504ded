import { defineErrors } from '@ebb/http';

/** notification-service's own refusals; the shared ones (validation, auth) come from @ebb/http. */
export enum NotificationErrorCode {
  NotFound = 'notification_not_found',
  NotFailed = 'notification_not_failed',
}

// naming the enum makes the map exhaustive: a new code without a status does not compile
export const notificationError = defineErrors<NotificationErrorCode>({
  [NotificationErrorCode.NotFound]: 404,
  [NotificationErrorCode.NotFailed]: 409,
});
