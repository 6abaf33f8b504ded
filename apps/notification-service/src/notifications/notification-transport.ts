import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import nodemailer from 'nodemailer';
import { NOTIFICATION_ENV, type NotificationEnv } from '../config';
import type { Notification } from './notification.entity';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * Mail to a server on this machine skips STARTTLS unless the URL asks for TLS settings itself: the
 * bytes never leave the host, and local sinks (the sandbox's, smtp-server's defaults) offer STARTTLS
 * with a self-signed, expired certificate that would make every mail fail.
 */
function plainOnLoopback(smtpUrl: string): boolean {
  const url = new URL(smtpUrl);
  const asksForTls = [...url.searchParams.keys()].some((key) => key === 'ignoreTLS' || key === 'requireTLS' || key.startsWith('tls.'));
  return url.protocol === 'smtp:' && LOOPBACK.has(url.hostname) && !asksForTls;
}

/** What a delivery needs of a notification row. */
export type Deliverable = Pick<Notification, 'id' | 'channel' | 'recipient' | 'subject' | 'body'>;

/** Delivers one notification over its channel: SMTP for mail, a signed POST for merchant webhooks. */
@Injectable()
export class NotificationTransport implements OnModuleDestroy {
  private readonly mailer: ReturnType<typeof nodemailer.createTransport>;

  constructor(@Inject(NOTIFICATION_ENV) private readonly env: NotificationEnv) {
    const timeout = env.NOTIFY_SEND_TIMEOUT_MS;
    this.mailer = nodemailer.createTransport({
      url: env.SMTP_URL,
      // a batch is sent at once: a few kept-open connections instead of a TCP and SMTP handshake per mail
      pool: true,
      maxConnections: 4,
      ignoreTLS: plainOnLoopback(env.SMTP_URL),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    });
  }

  /** Resolves once the receiver has accepted it; throws with the reason otherwise. */
  async deliver(notification: Deliverable): Promise<void> {
    if (notification.channel === 'email') {
      await this.mailer.sendMail({
        from: this.env.MAIL_FROM,
        to: notification.recipient,
        subject: notification.subject,
        text: notification.body,
        headers: { 'X-Ebb-Notification-Id': notification.id },
      });
      return;
    }
    const response = await fetch(notification.recipient, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signWebhook(notification.body, this.env.MERCHANT_WEBHOOK_SECRET),
        'Ebb-Notification-Id': notification.id,
      },
      body: notification.body,
      signal: AbortSignal.timeout(this.env.NOTIFY_SEND_TIMEOUT_MS),
    });
    // the body is not needed; read it so the connection can be reused
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) throw new Error(`merchant webhook answered ${response.status}`);
  }

  onModuleDestroy(): void {
    this.mailer.close();
  }
}
