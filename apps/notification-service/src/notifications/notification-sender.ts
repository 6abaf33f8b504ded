import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import { LOGGER, counter } from '@ebb/observability';
import { type CallHandler, type OutboundCall, OutboundCalls, defineCall, exponentialBackoff } from '@ebb/outbound';
import { NOTIFICATION_ENV, type NotificationEnv } from '../config';
import type { Notification } from './notification.entity';
import { NotificationTransport } from './notification-transport';

type Payload = { notificationId: string };

/** A mail or merchant webhook: tried NOTIFY_MAX_ATTEMPTS times with backoff, then parked and the notification `failed`. */
export const SendNotification = defineCall<Payload>('notification.send');
/**
 * One that must never be lost (the refund.succeeded mail, merchant webhooks): after
 * NOTIFY_MAX_ATTEMPTS it goes on at the slow rate, for about a month before it is parked.
 */
export const SendNotificationUntilDelivered = defineCall<Payload>('notification.send-until-delivered');
export const NOTIFICATION_CALLS = [SendNotification.kind, SendNotificationUntilDelivered.kind] as const;
const SLOW_RETRIES = 5000;

type Sent = 'sent' | 'gone';

/**
 * Sends notifications through the outbound-call primitive: the call is recorded with the row
 * (`queueNotifications`), claimed with a lease, delivered with no transaction open, and its result
 * recorded on the row in a transaction of its own; a lease left by a crash mid-send runs out and the
 * notification goes again (a mail may go twice, never zero times: the receiver has its id).
 */
@Injectable()
export class NotificationSender implements OnModuleInit {
  private readonly sent = counter('notifications_sent_total', 'Notification delivery attempts, by channel, template and outcome', [
    'channel',
    'template',
    'outcome',
  ]);

  constructor(
    private readonly dataSource: DataSource,
    private readonly calls: OutboundCalls,
    private readonly transport: NotificationTransport,
    @Inject(NOTIFICATION_ENV) private readonly env: NotificationEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    const backoff = exponentialBackoff(this.env.NOTIFY_BACKOFF_MS, this.env.NOTIFY_MAX_BACKOFF_MS);
    const handler: CallHandler<Payload, Sent> = {
      call: (call) => this.deliver(call),
      onResult: (manager, call, outcome) => this.recordSent(manager, call, outcome),
      onRetry: (manager, call, error, delayMs) => this.recordFailure(manager, call, error, 'retrying', delayMs),
      onParked: (manager, call, error) => this.recordFailure(manager, call, error, 'failed'),
    };
    const lease = { leaseMs: this.env.NOTIFY_SENDING_TIMEOUT_MS };
    this.calls.handle(SendNotification, handler, { ...lease, maxAttempts: this.env.NOTIFY_MAX_ATTEMPTS, backoffMs: backoff });
    this.calls.handle(SendNotificationUntilDelivered, handler, {
      ...lease,
      maxAttempts: this.env.NOTIFY_MAX_ATTEMPTS + SLOW_RETRIES,
      backoffMs: (attempt) => (attempt < this.env.NOTIFY_MAX_ATTEMPTS ? backoff(attempt) : this.env.NOTIFY_SLOW_RETRY_MS),
    });
  }

  private async deliver({ payload }: OutboundCall<Payload>): Promise<Sent> {
    const [row]: Pick<Notification, 'id' | 'channel' | 'recipient' | 'subject' | 'body' | 'status'>[] = await this.dataSource.query(
      `SELECT id, channel, recipient, subject, body, status FROM notifications WHERE id = $1`,
      [payload.notificationId],
    );
    // sent already (a repeat after a lost result), or gone: nothing to send
    if (!row || row.status === 'sent') return 'gone';
    await this.transport.deliver(row);
    return 'sent';
  }

  private async recordSent(manager: EntityManager, call: OutboundCall<Payload>, outcome: Sent): Promise<void> {
    if (outcome === 'gone') return;
    const [rows]: [{ channel: string; template: string }[], number] = await manager.query(
      `UPDATE notifications SET status = 'sent', sent_at = now(), attempts = $2, last_error = NULL
        WHERE id = $1 AND status <> 'sent' RETURNING channel, template`,
      [call.payload.notificationId, call.attempt],
    );
    for (const row of rows) this.sent.inc({ channel: row.channel, template: row.template, outcome: 'sent' });
  }

  private async recordFailure(manager: EntityManager, call: OutboundCall<Payload>, error: Error, outcome: 'retrying' | 'failed', delayMs = 0): Promise<void> {
    const [rows]: [{ channel: string; template: string }[], number] = await manager.query(
      `UPDATE notifications SET status = $2, attempts = $3, last_error = $4, next_attempt_at = now() + make_interval(secs => $5::float8 / 1000)
        WHERE id = $1 AND status <> 'sent' RETURNING channel, template`,
      [call.payload.notificationId, outcome === 'failed' ? 'failed' : 'queued', call.attempt, error.message.slice(0, 2000), delayMs],
    );
    for (const row of rows) this.sent.inc({ channel: row.channel, template: row.template, outcome });
    this.logger.warn({ notificationId: call.payload.notificationId, attempts: call.attempt, outcome, err: error.message }, 'notification not delivered');
  }
}
