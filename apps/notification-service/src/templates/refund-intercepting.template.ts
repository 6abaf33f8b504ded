import { formatMoney } from '@ebb/contracts';
import { type RefundTemplate, mailText, refundFacts } from './mail-template';

/** Sent on `refund.intercepting`: the parcel is in transit and we ask the carrier to stop it. */
export const refundInterceptingTemplate: RefundTemplate = {
  name: 'refund_intercepting',
  render: (refund) => ({
    subject: `We are asking the carrier to stop the parcel of order ${refund.orderId}`,
    text: mailText(['Your order has already shipped, so we are asking the carrier to stop your parcel and bring it back to us.', `Once it is back, your refund of ${formatMoney(refund)} is paid to your original payment method. If the parcel reaches you anyway, we will write to tell you how to send it back.`], refundFacts(refund)),
  }),
};
