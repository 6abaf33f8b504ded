import { Controller, Delete, Get, HttpCode, Query } from '@nestjs/common';
import { SandboxErrorCode, sandboxError } from '../sandbox-errors';
import { SmtpSink } from './smtp-sink';

/** For tests: the mails the SMTP sink received (`?to=` one recipient), and clearing them. */
@Controller('__sandbox/mail')
export class MailController {
  constructor(private readonly sink: SmtpSink) {}

  @Get()
  list(@Query('to') to?: string) {
    if (!this.sink.running) throw sandboxError(SandboxErrorCode.SmtpSinkOff, 'The SMTP sink is not running: its port was taken when the sandbox started.');
    return { items: this.sink.list(to) };
  }

  @Delete()
  @HttpCode(204)
  clear(): void {
    this.sink.clear();
  }
}
