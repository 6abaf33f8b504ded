import { Controller, Get, Query } from '@nestjs/common';
import { NotifySender } from './notify-sender';

/** For tests: Alipay's and WeChat Pay's notifications so far and how their delivery went (`?provider=&objectId=&type=`). */
@Controller('__sandbox/notifications')
export class NotificationsController {
  constructor(private readonly sender: NotifySender) {}

  @Get()
  list(@Query('provider') provider?: string, @Query('objectId') objectId?: string, @Query('type') type?: string) {
    return { items: this.sender.list({ provider, objectId, type }) };
  }
}
