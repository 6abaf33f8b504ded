import { formatMoney } from '@ebb/contracts';
import { type RefundTemplate, mailText, refundFacts } from './mail-template';

/** Sent on `refund.awaiting_return`: the goods must come back before anything is paid. */
export const refundAwaitingReturnTemplate: RefundTemplate = {
  name: 'refund_awaiting_return',
  render: (refund) => ({
    subject: `Please send back your parcel for order ${refund.orderId}`,
    text: mailText(['Please send the items of your refund back to us.', `Your refund of ${formatMoney(refund)} is paid once the parcel has arrived and passed our inspection.`], refundFacts(refund)),
  }),
};
