import { formatMoney } from '@ebb/contracts';
import { type RefundTemplate, mailText, refundFacts } from './mail-template';

/** Sent on `refund.succeeded`. */
export const refundSucceededTemplate: RefundTemplate = {
  name: 'refund_succeeded',
  render: (refund) => ({
    subject: `Refunded: ${formatMoney(refund)} for order ${refund.orderId}`,
    text: mailText([`Your refund of ${formatMoney(refund)} has been paid back to your original payment method.`, 'It may take a few days to show on your statement.'], refundFacts(refund)),
  }),
};
