import { formatMoney } from '@ebb/contracts';
import { type RefundTemplate, mailText, refundFacts } from './mail-template';

/** Sent on `refund.failed`. */
export const refundFailedTemplate: RefundTemplate = {
  name: 'refund_failed',
  render: (refund) => ({
    subject: `Your refund for order ${refund.orderId} could not be paid yet`,
    text: mailText([`We could not pay back your refund of ${formatMoney(refund)} yet.`, `Failure: ${refund.failureReason ?? 'the payment provider refused it'}`, 'Our team has been told and will retry it.'], refundFacts(refund)),
  }),
};
