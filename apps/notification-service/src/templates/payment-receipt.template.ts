import { type OrderCaptured, formatMoney } from '@ebb/contracts';
import { type MailTemplate, mailText } from './mail-template';

/** Sent when the payment of an order is captured (`order.captured`). */
export const paymentReceiptTemplate: MailTemplate<OrderCaptured> = {
  name: 'payment_receipt',
  render: (order) => {
    const amount = formatMoney({ amount: order.amount, currency: order.currency });
    return {
      subject: `Payment received: ${amount} for order ${order.orderId}`,
      text: mailText(
        ['Thank you: we have received your payment.'],
        [`Amount: ${amount}`, `Order: ${order.orderId}`, `Payment: ${order.paymentId}`],
      ),
    };
  },
};
