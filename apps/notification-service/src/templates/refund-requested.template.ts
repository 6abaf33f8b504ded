import { formatMoney } from '@ebb/contracts';
import { type RefundTemplate, mailText, refundFacts } from './mail-template';

/** Sent on `refund.requested`. */
export const refundRequestedTemplate: RefundTemplate = {
  name: 'refund_requested',
  render: (refund) => ({
    subject: `We received your refund request for order ${refund.orderId}`,
    text: mailText([`We have received your refund request of ${formatMoney(refund)}.`], refundFacts(refund)),
  }),
};
