import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { RefundPolicyChangesAnnounced } from '@ebb/contracts';
import { type IncomingMessage, MessageConsumer } from '@ebb/messaging';
import { sellerContact } from '../sellers/seller-directory';
import { policyChangesTemplate } from '../templates';
import { queueNotifications } from './notification-queue';

/**
 * Mails to sellers: the refund-window changes a policy migration is about to make, in the seller's
 * language, once per seller and run (the inbox makes a redelivery a no-op, the dedupe key a
 * republished announcement). A seller the directory does not know yet is retried, then parked.
 */
@Injectable()
export class SellerNoticesHandler implements OnModuleInit {
  constructor(private readonly consumer: MessageConsumer) {}

  onModuleInit(): void {
    this.consumer.on(RefundPolicyChangesAnnounced, 'notifications.mail-policy-changes', (message, manager) => this.mailPolicyChanges(message, manager));
  }

  private async mailPolicyChanges({ payload }: IncomingMessage<RefundPolicyChangesAnnounced>, manager: EntityManager): Promise<void> {
    const seller = await sellerContact(manager, payload.sellerId);
    // its inventory.seller_updated may still be on the way: retried, then parked for an operator to replay
    if (!seller) throw new Error(`seller ${payload.sellerId} is not in the seller directory yet`);
    const template = policyChangesTemplate;
    const mail = template.render({ ...payload, sellerName: seller.name }, seller.locale);
    await queueNotifications(manager, [
      {
        channel: 'email',
        template: template.name,
        recipient: seller.email,
        subject: mail.subject,
        body: mail.text,
        sellerId: seller.sellerId,
        status: `run:${payload.runId}`,
      },
    ]);
  }
}
