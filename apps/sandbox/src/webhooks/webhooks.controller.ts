import { Controller, Get, Query } from '@nestjs/common';
import { WebhookSender } from './webhook-sender';

/** For tests: the webhooks sent so far and how their delivery went (`?type=`, `?objectId=`, `?payload=true`). */
@Controller('__sandbox/webhooks')
export class WebhooksController {
  constructor(private readonly sender: WebhookSender) {}

  @Get()
  list(@Query('type') type?: string, @Query('objectId') objectId?: string, @Query('payload') payload?: string) {
    return { items: this.sender.list({ type, objectId }, payload === 'true') };
  }
}
