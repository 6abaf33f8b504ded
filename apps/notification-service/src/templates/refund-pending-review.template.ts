import { formatMoney } from '@ebb/contracts';
import { type RefundTemplate, mailText, refundFacts } from './mail-template';

/** Sent on `refund.pending_review`. */
export const refundPendingReviewTemplate: RefundTemplate = {
  name: 'refund_pending_review',
  render: (refund) => ({
    subject: `Your refund for order ${refund.orderId} is being reviewed`,
    text: mailText([`Your refund request of ${formatMoney(refund)} needs a review by our team.`, 'We will write again as soon as it is decided.'], refundFacts(refund)),
  }),
};
