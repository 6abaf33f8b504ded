import { formatMoney } from '@ebb/contracts';
import { type RefundTemplate, mailText, refundFacts } from './mail-template';

/** Sent on `refund.inspecting`: the returned parcel has arrived and support inspects it. */
export const refundInspectingTemplate: RefundTemplate = {
  name: 'refund_inspecting',
  render: (refund) => ({
    subject: `Your return for order ${refund.orderId} has arrived and is being inspected`,
    text: mailText(['Your returned parcel has arrived and our team is inspecting it.', `If it passes, your refund of ${formatMoney(refund)} is paid to your original payment method; we will write again either way.`], refundFacts(refund)),
  }),
};
