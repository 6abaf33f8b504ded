import { formatMoney } from '@ebb/contracts';
import { type RefundTemplate, mailText, refundFacts } from './mail-template';

/** Sent on `refund.intercepting`: the parcel is in transit and we ask the carrier to stop it. */
export const refundInterceptingTemplate: RefundTemplate = {
  name: 'refund_intercepting',
  render: (refund) => ({
    subject: `We are asking the carrier to stop the parcel of order ${refund.orderId}`,
    text: mailText(['Your order has already shipped, so we are asking the carrier to stop your parcel and bring it back to us.', `As soon as the carrier confirms it has stopped the parcel, your refund of ${formatMoney(refund)} is paid back to your original payment method. If it is too late to stop it, we will write to tell you how to send it back.`], refundFacts(refund)),
  }),
};
