import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { DrainLoop } from '@ebb/messaging';
import { LOGGER, counter } from '@ebb/observability';
import { NOTIFICATION_ENV, type NotificationEnv } from '../config';
import type { Notification } from './notification.entity';
import { notificationCommits } from './notification-signal';
import { NotificationTransport } from './notification-transport';

interface ClaimedRow {
  id: string;
  channel: Notification['channel'];
  template: string;
  recipient: string;
  subject: string;
  body: string;
  attempts: number;
  keep_retrying: boolean;
}

/**
 * Sends queued notifications, outside any transaction: claim a batch (`FOR UPDATE SKIP LOCKED`,
 * marked `sending` and committed), deliver, record `sent` or schedule a retry with backoff. After
 * NOTIFY_MAX_ATTEMPTS a row is `failed`, unless it must never be lost (refund.succeeded mails,
 * merchant webhooks): those keep retrying at the slow rate. A row left in `sending` by a crash goes
 * back to `queued` after NOTIFY_SENDING_TIMEOUT_MS, so a mail may go twice but never zero times.
 * Woken after a commit that queued rows, and by polling (retries, other replicas' rows).
 */
@Injectable()
export class NotificationSender implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private stopped = true;
  private readonly loop = new DrainLoop(() => this.drainPass(), {
    onError: (error) => this.logger.warn({ err: (error as Error).message }, 'notification batch not sent; will retry'),
  });
  private unsubscribe?: () => void;
  private readonly sent = counter('notifications_sent_total', 'Notification delivery attempts, by channel, template and outcome', [
    'channel',
    'template',
    'outcome',
  ]);

  constructor(
    private readonly dataSource: DataSource,
    private readonly transport: NotificationTransport,
    @Inject(NOTIFICATION_ENV) private readonly env: NotificationEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.loop.resume();
    this.unsubscribe = notificationCommits(this.dataSource).onCommit(() => void this.wake());
    this.schedulePoll();
    void this.wake();
  }

  /** Stops waking up and lets the batch in flight finish recording its results. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    clearTimeout(this.timer);
    await this.loop.stop();
  }

  /** Sends everything due now (also what tests await). */
  wake(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return this.loop.wake();
  }

  private async drainPass(): Promise<void> {
    while ((await this.sendBatch()) === this.env.NOTIFY_BATCH_SIZE && !this.stopped) {
      // a full batch means more may be due
    }
  }

  /** Rows whose sender died mid-send: queued again (the mail may have gone; at least once beats never). */
  private async requeueStale(): Promise<void> {
    await this.dataSource.query(
      `UPDATE notifications SET status = 'queued', next_attempt_at = now()
        WHERE status = 'sending' AND claimed_at < now() - make_interval(secs => $1::float8 / 1000)`,
      [this.env.NOTIFY_SENDING_TIMEOUT_MS],
    );
  }

  /** Claims due rows in one committed statement, delivers them, records each result; returns how many it claimed. */
  private async sendBatch(): Promise<number> {
    const [rows]: [ClaimedRow[], number] = await this.dataSource.query(
      `UPDATE notifications n SET status = 'sending', claimed_at = now(), attempts = n.attempts + 1
         FROM (SELECT id FROM notifications WHERE status = 'queued' AND next_attempt_at <= now()
                ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
        WHERE n.id = due.id
        RETURNING n.id, n.channel, n.template, n.recipient, n.subject, n.body, n.attempts, n.keep_retrying`,
      [this.env.NOTIFY_BATCH_SIZE],
    );
    await Promise.all(rows.map((row) => this.sendOne(row)));
    return rows.length;
  }

  private async sendOne(row: ClaimedRow): Promise<void> {
    const labels = { channel: row.channel, template: row.template };
    try {
      await this.transport.deliver(row);
    } catch (error) {
      const message = (error as Error).message || String(error);
      const outcome = await this.recordFailure(row, message);
      this.sent.inc({ ...labels, outcome });
      this.logger.warn({ notificationId: row.id, attempts: row.attempts, outcome, err: message }, 'notification not delivered');
      return;
    }
    // sent even if a stale-claim sweep re-queued it meanwhile: the receiver has it, do not send again
    await this.dataSource.query(
      `UPDATE notifications SET status = 'sent', sent_at = now(), last_error = NULL WHERE id = $1 AND status <> 'sent'`,
      [row.id],
    );
    this.sent.inc({ ...labels, outcome: 'sent' });
  }

  private async recordFailure(row: ClaimedRow, error: string): Promise<'retrying' | 'failed'> {
    const exhausted = row.attempts >= this.env.NOTIFY_MAX_ATTEMPTS;
    const giveUp = exhausted && !row.keep_retrying;
    const delayMs = exhausted
      ? this.env.NOTIFY_SLOW_RETRY_MS
      : Math.min(this.env.NOTIFY_BACKOFF_MS * 2 ** (row.attempts - 1), this.env.NOTIFY_MAX_BACKOFF_MS);
    // the attempts guard: only the claim that sent this attempt records its result
    await this.dataSource.query(
      `UPDATE notifications
          SET status = $3, last_error = $4, next_attempt_at = now() + make_interval(secs => $5::float8 / 1000)
        WHERE id = $1 AND status = 'sending' AND attempts = $2`,
      [row.id, row.attempts, giveUp ? 'failed' : 'queued', error.slice(0, 2000), delayMs],
    );
    return giveUp ? 'failed' : 'retrying';
  }

  private schedulePoll(): void {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      // stale claims are minutes old by definition: the poll sweeps them, not every commit's pass
      await this.requeueStale().catch((error) => this.logger.warn({ err: (error as Error).message }, 'stale notification sweep failed; next poll retries'));
      await this.wake();
      this.schedulePoll();
    }, this.env.NOTIFY_POLL_MS);
    this.timer.unref();
  }
}
