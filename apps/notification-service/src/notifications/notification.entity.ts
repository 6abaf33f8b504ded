import { Column, Entity, PrimaryColumn } from 'typeorm';

export type NotificationChannel = 'email' | 'webhook';
/** `sending` is the sender's claim; the API shows it as `queued` (api-v1 knows queued, sent, failed). */
export type NotificationStatus = 'queued' | 'sending' | 'sent' | 'failed';

/** One mail or merchant webhook, from the event that asked for it to the result of sending it. */
@Entity('notifications')
export class Notification {
  @PrimaryColumn('text') id: string;
  @Column('text') channel: NotificationChannel;
  @Column('text') template: string;
  /** an e-mail address, or the merchant's webhook URL */
  @Column('text') recipient: string;
  @Column('text') subject: string;
  /** the mail's text, or the webhook's JSON body */
  @Column('text') body: string;
  @Column('text') status: NotificationStatus;
  @Column('integer') attempts: number;
  /** never marked failed: retried at the slow rate after the normal attempts (refund.succeeded mails) */
  @Column('boolean', { name: 'keep_retrying' }) keepRetrying: boolean;
  /** the order and customer it is about; null on a mail to a seller */
  @Column('text', { name: 'order_id', nullable: true }) orderId: string | null;
  @Column('text', { name: 'refund_id', nullable: true }) refundId: string | null;
  @Column('text', { name: 'customer_id', nullable: true }) customerId: string | null;
  /** the seller a mail to a seller goes to (policy changes) */
  @Column('text', { name: 'seller_id', nullable: true }) sellerId: string | null;
  /** template + refund or order id + status: one step is sent once, whatever the bus delivers */
  @Column('text', { name: 'dedupe_key' }) dedupeKey: string;
  @Column('timestamptz', { name: 'next_attempt_at' }) nextAttemptAt: Date;
  @Column('timestamptz', { name: 'claimed_at', nullable: true }) claimedAt: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'sent_at', nullable: true }) sentAt: Date | null;
  @Column('text', { name: 'last_error', nullable: true }) lastError: string | null;
}
