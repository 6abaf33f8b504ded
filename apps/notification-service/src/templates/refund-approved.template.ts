import { formatMoney } from '@ebb/contracts';
import { type RefundTemplate, mailText, refundFacts } from './mail-template';

/** Sent on `refund.approved`. */
export const refundApprovedTemplate: RefundTemplate = {
  name: 'refund_approved',
  render: (refund) => ({
    subject: `Your refund of ${formatMoney(refund)} is approved`,
    text: mailText([`Your refund of ${formatMoney(refund)} has been approved and will be paid back to your original payment method.`], refundFacts(refund)),
  }),
};
