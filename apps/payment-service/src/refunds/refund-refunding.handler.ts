import { RefundRefunding } from '@ebb/contracts';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { RefundSnapshot } from '@ebb/contracts';
import { MessageConsumer } from '@ebb/messaging';
import { ProviderRefundsService } from './provider-refunds.service';

/** `refund.refunding` → a provider refund row to send; the dispatcher calls the provider after commit. */
@Injectable()
export class RefundRefundingHandler implements OnModuleInit {
  constructor(
    private readonly consumer: MessageConsumer,
    private readonly refunds: ProviderRefundsService,
  ) {}

  onModuleInit(): void {
    this.consumer.on(RefundRefunding, 'payments.request-provider-refund', (message, manager) =>
      this.refunds.request(manager, message.payload),
    );
  }
}
