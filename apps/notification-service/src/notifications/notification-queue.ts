import type { EntityManager } from 'typeorm';
import { newId } from '@ebb/contracts';
import { recordCall } from '@ebb/outbound';
import type { NotificationChannel } from './notification.entity';
import { SendNotification, SendNotificationUntilDelivered } from './notification-sender';

/** A notification to send, as a handler decides it. */
export interface QueuedNotification {
  channel: NotificationChannel;
  template: string;
  recipient: string;
  subject: string;
  body: string;
  /** the order and customer it is about; a mail to a seller names the seller instead */
  orderId?: string;
  refundId?: string;
  customerId?: string;
  sellerId?: string;
  /** the step this notification tells of (`captured`, `succeeded`, …): part of the dedupe key */
  status: string;
  keepRetrying?: boolean;
}

/** `email:refund_succeeded:ref_…:succeeded`: the same step of the same refund (or order, or seller) is sent once. */
export function dedupeKey(n: Pick<QueuedNotification, 'channel' | 'template' | 'orderId' | 'refundId' | 'sellerId' | 'status'>): string {
  return `${n.channel}:${n.template}:${n.refundId ?? n.orderId ?? n.sellerId}:${n.status}`;
}

/**
 * Records notifications in the caller's transaction, each with the outbound call that sends it after
 * the commit; one whose step was already recorded (the same event published twice under different
 * message ids) is skipped. Returns how many rows were new.
 */
export async function queueNotifications(manager: EntityManager, notifications: QueuedNotification[]): Promise<number> {
  let inserted = 0;
  for (const n of notifications) {
    const id = newId('ntf');
    const rows: unknown[] = await manager.query(
      `INSERT INTO notifications
         (id, channel, template, recipient, subject, body, keep_retrying, order_id, refund_id, customer_id, seller_id, dedupe_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (dedupe_key) DO NOTHING RETURNING 1`,
      [
        id,
        n.channel,
        n.template,
        n.recipient,
        n.subject,
        n.body,
        n.keepRetrying ?? false,
        n.orderId ?? null,
        n.refundId ?? null,
        n.customerId ?? null,
        n.sellerId ?? null,
        dedupeKey(n),
      ],
    );
    if (rows.length === 0) continue;
    inserted++;
    await recordCall(manager, n.keepRetrying ? SendNotificationUntilDelivered : SendNotification, id, { notificationId: id }, { claim: 'on-commit' });
  }
  return inserted;
}
