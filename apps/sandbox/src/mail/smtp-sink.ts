import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { LOGGER } from '@ebb/observability';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { SMTPServer } from 'smtp-server';
import { SANDBOX_ENV, type SandboxEnv } from '../config';
import { addresses, parseMail } from './mail-message.parser';

export interface ReceivedMail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html?: string;
  receivedAt: string;
}

const MAX_MESSAGE_BYTES = 5 * 1024 * 1024;

/** An SMTP server that accepts every mail (no auth, no TLS) and keeps it in memory for tests. */
@Injectable()
export class SmtpSink implements OnModuleDestroy {
  private readonly mails: ReceivedMail[] = [];
  private server?: SMTPServer;
  private sequence = 0;

  constructor(
    @Inject(SANDBOX_ENV) private readonly env: SandboxEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Listens on SMTP_PORT (0: a free one) and answers the port it got. When SMTP_PORT was left unset
   * and 2525 is taken (another sandbox of a parallel test), it runs without the sink: null.
   */
  async listen(): Promise<number | null> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      disableReverseLookup: true,
      size: MAX_MESSAGE_BYTES,
      logger: false,
      // any credentials are fine, in clear text: a client configured with a login still delivers here
      allowInsecureAuth: true,
      onAuth: (auth, _session, callback) => callback(null, { user: auth.username ?? 'anonymous' }),
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', callback);
        stream.on('end', () => {
          try {
            this.keep(Buffer.concat(chunks).toString('utf8'), session.envelope.rcptTo.map((r) => r.address));
            callback();
          } catch (error) {
            callback(error as Error);
          }
        });
      },
    });
    server.on('error', (error) => this.logger.warn({ err: error }, 'smtp sink error'));
    try {
      await new Promise<void>((resolve, reject) => {
        server.server.once('error', reject);
        server.listen(this.env.SMTP_PORT, this.env.HOST, () => {
          server.server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      if (this.env.SMTP_PORT_REQUIRED || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      this.logger.warn(`SMTP port ${this.env.SMTP_PORT} is in use: running without the SMTP sink (set SMTP_PORT to have one)`);
      return null;
    }
    this.server = server;
    return (server.server.address() as AddressInfo).port;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** The mails received, oldest first; `to` keeps those sent to that address. */
  list(to?: string): ReceivedMail[] {
    const wanted = to?.trim().toLowerCase();
    return this.mails.filter((mail) => !wanted || mail.to.includes(wanted));
  }

  clear(): void {
    this.mails.length = 0;
  }

  async onModuleDestroy() {
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private keep(raw: string, envelopeTo: string[]) {
    const parsed = parseMail(raw);
    // the envelope names every recipient, Bcc included; the headers only the visible ones
    const to = [...new Set([...envelopeTo.map((a) => addresses(a)[0] ?? a.toLowerCase()), ...parsed.to])];
    this.sequence += 1;
    this.mails.push({ id: `mail_${this.sequence}`, ...parsed, to, receivedAt: new Date().toISOString() });
  }
}
