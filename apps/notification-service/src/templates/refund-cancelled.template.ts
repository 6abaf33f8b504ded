import { formatMoney } from '@ebb/contracts';
import { type RefundTemplate, mailText, refundFacts } from './mail-template';

/** Sent on `refund.cancelled`. */
export const refundCancelledTemplate: RefundTemplate = {
  name: 'refund_cancelled',
  render: (refund) => ({
    subject: `Your refund for order ${refund.orderId} was cancelled`,
    text: mailText([`Your refund request of ${formatMoney(refund)} was cancelled; nothing will be paid back.`], refundFacts(refund)),
  }),
};
