import { Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { idSchema } from '@ebb/contracts';
import { Answers, Refuses, Roles, ZodParams } from '@ebb/http';
import { LOGGER, gauge } from '@ebb/observability';
import { retryParkedCall } from '@ebb/outbound';
import type { Logger } from 'pino';
import { NotificationErrorCode, notificationError } from './notification-errors';
import { NOTIFICATION_CALLS } from './notification-sender';

const idParams = z.strictObject({ id: idSchema });
/** The notification, queued to be sent again. */
const retriedSchema = z.strictObject({ id: z.string(), status: z.literal('queued') });

/** Notifications that failed every attempt: NotificationsFailed alerts on them until an operator sends them again. */
export const notificationsFailedGauge = (dataSource: DataSource) =>
  gauge('notifications_failed', 'Notifications that failed every attempt and wait for an operator (POST /v1/admin/notifications/:id/retry)', ['channel'], async function collect() {
    this.reset();
    if (!dataSource.isInitialized) return;
    const rows: { channel: string; n: number }[] = await dataSource.query(`SELECT channel, count(*)::int AS n FROM notifications WHERE status = 'failed' GROUP BY channel`);
    for (const row of rows) this.set({ channel: row.channel }, row.n);
  });

/** An operator sends a failed notification again, with a fresh set of attempts, once its cause is fixed. */
@Roles('admin')
@Controller('v1/admin/notifications')
export class NotificationAdminController {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    notificationsFailedGauge(dataSource);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @Answers({ 200: retriedSchema })
  @Refuses(notificationError, NotificationErrorCode.NotFound, NotificationErrorCode.NotFailed)
  async retry(@ZodParams(idParams) { id }: { id: string }): Promise<z.infer<typeof retriedSchema>> {
    const retried = await this.dataSource.transaction(async (manager) => {
      const [found]: { status: string }[] = await manager.query(`SELECT status FROM notifications WHERE id = $1 FOR UPDATE`, [id]);
      if (!found) throw notificationError(NotificationErrorCode.NotFound, `No notification ${id}.`);
      if (found.status !== 'failed') {
        throw notificationError(NotificationErrorCode.NotFailed, `Notification ${id} is ${found.status}; only a failed one is sent again.`, { status: found.status });
      }
      await manager.query(`UPDATE notifications SET status = 'queued', attempts = 0, next_attempt_at = now() WHERE id = $1`, [id]);
      return retryParkedCall(manager, { kinds: NOTIFICATION_CALLS, key: id });
    });
    if (!retried) this.logger.warn({ notificationId: id }, 'a failed notification had no parked call to send again');
    return { id, status: 'queued' };
  }
}
