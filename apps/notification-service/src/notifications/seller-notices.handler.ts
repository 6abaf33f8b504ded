import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { RefundPendingReview, RefundPolicyChangesAnnounced, type RefundSnapshot } from '@ebb/contracts';
import { type IncomingMessage, MessageConsumer } from '@ebb/messaging';
import { sellerContact } from '../sellers/seller-directory';
import { policyChangesTemplate, sellerReviewTemplate } from '../templates';
import { queueNotifications } from './notification-queue';

/**
 * Mails to sellers, in the seller's language: the refund-window changes a policy migration is about to
 * make (once per seller and run), and a refund that waits for the seller's own review (once per
 * refund). The inbox makes a redelivery a no-op, the dedupe key a republished event. A seller the
 * directory does not know yet is retried, then parked for a replay once it is registered.
 */
@Injectable()
export class SellerNoticesHandler implements OnModuleInit {
  constructor(private readonly consumer: MessageConsumer) {}

  onModuleInit(): void {
    this.consumer.on(RefundPolicyChangesAnnounced, 'notifications.mail-policy-changes', (message, manager) => this.mailPolicyChanges(message, manager));
    this.consumer.on(RefundPendingReview, 'notifications.mail-seller-review', (message, manager) => this.mailSellerReview(message, manager));
  }

  /** A customer's refund waits for a seller who reviews by hand: the seller is asked to decide (support decides the others). */
  private async mailSellerReview({ payload: refund }: IncomingMessage<RefundSnapshot>, manager: EntityManager): Promise<void> {
    if (!refund.sellerReview || !refund.sellerId) return;
    const seller = await sellerContact(manager, refund.sellerId);
    if (!seller) throw new Error(`seller ${refund.sellerId} is not in the seller directory yet`);
    const mail = sellerReviewTemplate.render(
      { refundId: refund.refundId, orderId: refund.orderId, amount: refund.amount, currency: refund.currency, sellerName: seller.name, autoApproveAt: refund.autoApproveAt },
      seller.locale,
    );
    await queueNotifications(manager, [
      {
        channel: 'email',
        template: sellerReviewTemplate.name,
        recipient: seller.email,
        subject: mail.subject,
        body: mail.text,
        refundId: refund.refundId,
        sellerId: seller.sellerId,
        status: 'pending_review',
      },
    ]);
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
