import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
}

/** RFC 2047 words of a header (`=?UTF-8?B?…?=`, `=?UTF-8?Q?…?=`), as nodemailer writes non-ASCII subjects. */
function decodeWords(header: string): string {
  return header.replace(/\?=\s+=\?/g, '?==?').replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, _charset: string, encoding: string, text: string) =>
    encoding.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (__, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8'),
  );
}

/** The headers and text of a plain mail as nodemailer writes it (folded headers, quoted-printable or base64, encoded words). */
function parseMail(raw: string): { subject: string; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  let text = raw.slice(split + 4);
  if (/^Content-Transfer-Encoding: quoted-printable$/im.test(head)) {
    text = Buffer.from(
      text.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
      'latin1',
    ).toString('utf8');
  } else if (/^Content-Transfer-Encoding: base64$/im.test(head)) {
    text = Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  return { subject: decodeWords(/^Subject: (.*)$/im.exec(head)?.[1] ?? ''), text: text.replace(/\r\n/g, '\n') };
}

/** An SMTP server of the test's own: records what it accepts, and refuses mail on demand (451). */
export class SmtpSink {
  readonly received: ReceivedMail[] = [];
  /** refuse every mail while set */
  refuseAll = false;
  /** how many more mails to each recipient to refuse */
  private readonly refusals = new Map<string, number>();
  private readonly server = new SMTPServer({
    authOptional: true,
    // STARTTLS stays offered (with smtp-server's own certificate), as the sandbox's sink may offer it
    disabledCommands: ['AUTH'],
    logger: false,
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((address) => address.address);
        const refuse = this.refuseAll || to.some((address) => (this.refusals.get(address) ?? 0) > 0);
        if (refuse) {
          for (const address of to) this.refusals.set(address, Math.max(0, (this.refusals.get(address) ?? 0) - 1));
          callback(Object.assign(new Error('mailbox busy, try again later'), { responseCode: 451 }));
          return;
        }
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        this.received.push({ from, to, ...parseMail(Buffer.concat(chunks).toString('utf8')) });
        callback();
      });
    },
  });
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Refuses the next `count` mails to `address`. */
  refuse(address: string, count: number): void {
    this.refusals.set(address, count);
  }

  to(address: string): ReceivedMail[] {
    return this.received.filter((mail) => mail.to.includes(address));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
