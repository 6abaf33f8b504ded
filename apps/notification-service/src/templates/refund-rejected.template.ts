import { formatMoney } from '@ebb/contracts';
import { type RefundTemplate, mailText, refundFacts } from './mail-template';

/** Sent on `refund.rejected`: declined on review, or a returned parcel failed inspection; support's note says why. */
export const refundRejectedTemplate: RefundTemplate = {
  name: 'refund_rejected',
  render: (refund) => ({
    subject: `Your refund for order ${refund.orderId} was declined`,
    text: mailText([`We are sorry: your refund request of ${formatMoney(refund)} was declined.`, ...(refund.note ? [`Note: ${refund.note}`] : [])], refundFacts(refund)),
  }),
};
