import { formatMoney } from '@ebb/contracts';
import { type RefundTemplate, mailText, refundFacts } from './mail-template';

/** Sent on `refund.approved`. */
export const refundApprovedTemplate: RefundTemplate = {
  name: 'refund_approved',
  render: (refund) => ({
    subject: `Your refund of ${formatMoney(refund)} is approved`,
    text: mailText(
      [
        refund.shipped
          ? `Your refund of ${formatMoney(refund)} has been approved. As your order has shipped, the parcel comes back first; we will tell you each step, and pay the refund back to your original payment method once the goods are back.`
          : `Your refund of ${formatMoney(refund)} has been approved and will be paid back to your original payment method.`,
      ],
      refundFacts(refund),
    ),
  }),
};
