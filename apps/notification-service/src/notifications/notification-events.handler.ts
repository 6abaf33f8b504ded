import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OrderCaptured, type RefundSnapshot, REFUND_EVENTS, localeOr } from '@ebb/contracts';
import { type IncomingMessage, MessageConsumer } from '@ebb/messaging';
import { NOTIFICATION_ENV, type NotificationEnv } from '../config';
import { REFUND_MAIL_TEMPLATES, paymentReceiptTemplate } from '../templates';
import { type QueuedNotification, queueNotifications } from './notification-queue';

/** Refund states a merchant hears of by webhook: the ones nothing follows on its own. */
export const FINAL_REFUND_EVENTS = ['refund.succeeded', 'refund.failed', 'refund.rejected', 'refund.cancelled'];

/**
 * Turns events into notification rows: render, insert, nothing else. The inbox makes a redelivered
 * message a no-op and the dedupe key makes a republished step one; the sender mails after commit.
 */
@Injectable()
export class NotificationEventsHandler implements OnModuleInit {
  constructor(
    private readonly consumer: MessageConsumer,
    @Inject(NOTIFICATION_ENV) private readonly env: NotificationEnv,
  ) {}

  onModuleInit(): void {
    this.consumer.on(OrderCaptured, 'notifications.mail-payment-receipt', (message, manager) =>
      this.onOrderCaptured(message, manager),
    );
    this.consumer.on(Object.values(REFUND_EVENTS), 'notifications.notify-refund-step', (message, manager) =>
      this.onRefundEvent(message, manager),
    );
  }

  private async onOrderCaptured({ payload: order }: IncomingMessage<OrderCaptured>, manager: EntityManager): Promise<void> {
    const mail = paymentReceiptTemplate.render(order, localeOr(order.locale));
    await queueNotifications(manager, [
      {
        channel: 'email',
        template: paymentReceiptTemplate.name,
        recipient: order.email,
        subject: mail.subject,
        body: mail.text,
        orderId: order.orderId,
        customerId: order.customerId,
        status: 'captured',
      },
    ]);
  }

  /**
   * One event may tell several steps (`steps`: requested → approved → refunding in one transaction):
   * the customer gets one mail, of the latest step that has one (approved says what requested would
   * have); the merchant's webhook is of the final status.
   */
  private async onRefundEvent({ type, payload: refund }: IncomingMessage<RefundSnapshot>, manager: EntityManager): Promise<void> {
    const step = type.slice('refund.'.length);
    const rows: QueuedNotification[] = [];
    const told = (refund.steps ?? [step]).filter((s) => REFUND_MAIL_TEMPLATES[`refund.${s}`]).at(-1);
    if (told) {
      const template = REFUND_MAIL_TEMPLATES[`refund.${told}`];
      // in the customer's language (the order's), English for events from before languages
      const mail = template.render(refund, localeOr(refund.locale));
      rows.push({
        channel: 'email',
        template: template.name,
        recipient: refund.email,
        subject: mail.subject,
        body: mail.text,
        orderId: refund.orderId,
        refundId: refund.refundId,
        customerId: refund.customerId,
        status: told,
        // the customer must hear that their money is back, however long the mail server is down
        keepRetrying: told === 'succeeded',
      });
    }
    if (this.env.MERCHANT_WEBHOOK_URL && FINAL_REFUND_EVENTS.includes(type)) {
      rows.push({
        channel: 'webhook',
        template: `refund_${step}`,
        recipient: this.env.MERCHANT_WEBHOOK_URL,
        subject: type,
        // the id lets the merchant drop a webhook that arrives twice (delivery is at least once)
        body: JSON.stringify({ id: `${refund.refundId}.${step}`, type, createdAt: new Date().toISOString(), data: refund }),
        orderId: refund.orderId,
        refundId: refund.refundId,
        customerId: refund.customerId,
        status: step,
        // a final state the merchant never hears of leaves their books wrong
        keepRetrying: true,
      });
    }
    await queueNotifications(manager, rows);
  }
}
