import type { EntityManager } from 'typeorm';
import { newId } from '@ebb/contracts';
import type { NotificationChannel } from './notification.entity';
import { notificationCommits } from './notification-signal';

/** A notification to send, as a handler decides it. */
export interface QueuedNotification {
  channel: NotificationChannel;
  template: string;
  recipient: string;
  subject: string;
  body: string;
  orderId: string;
  refundId?: string;
  customerId: string;
  /** the step this notification tells of (`captured`, `succeeded`, …): part of the dedupe key */
  status: string;
  keepRetrying?: boolean;
}

/** `email:refund_succeeded:ref_…:succeeded`: the same step of the same refund is sent once. */
export function dedupeKey(n: Pick<QueuedNotification, 'channel' | 'template' | 'orderId' | 'refundId' | 'status'>): string {
  return `${n.channel}:${n.template}:${n.refundId ?? n.orderId}:${n.status}`;
}

/**
 * Records notifications in the caller's transaction; one whose step was already recorded (the same
 * event published twice under different message ids) is skipped. Sending happens after commit.
 * Returns how many rows were new.
 */
export async function queueNotifications(manager: EntityManager, notifications: QueuedNotification[]): Promise<number> {
  let inserted = 0;
  for (const n of notifications) {
    const rows: unknown[] = await manager.query(
      `INSERT INTO notifications
         (id, channel, template, recipient, subject, body, keep_retrying, order_id, refund_id, customer_id, dedupe_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (dedupe_key) DO NOTHING RETURNING 1`,
      [
        newId('ntf'),
        n.channel,
        n.template,
        n.recipient,
        n.subject,
        n.body,
        n.keepRetrying ?? false,
        n.orderId,
        n.refundId ?? null,
        n.customerId,
        dedupeKey(n),
      ],
    );
    inserted += rows.length;
  }
  if (inserted > 0) notificationCommits(manager.connection).mark(manager);
  return inserted;
}
