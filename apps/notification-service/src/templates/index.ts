import type { RefundTemplate } from './mail-template';
import { refundApprovedTemplate } from './refund-approved.template';
import { refundAwaitingReturnTemplate } from './refund-awaiting-return.template';
import { refundCancelledTemplate } from './refund-cancelled.template';
import { refundFailedTemplate } from './refund-failed.template';
import { refundInspectingTemplate } from './refund-inspecting.template';
import { refundInterceptingTemplate } from './refund-intercepting.template';
import { refundPendingReviewTemplate } from './refund-pending-review.template';
import { refundRejectedTemplate } from './refund-rejected.template';
import { refundRequestedTemplate } from './refund-requested.template';
import { refundSucceededTemplate } from './refund-succeeded.template';

export * from './mail-template';
export { paymentReceiptTemplate } from './payment-receipt.template';
export { POLICY_CHANGES_TEMPLATES, type PolicyChangesMail } from './policy-changes.template';

/** The customer's mail for each refund event; `refund.refunding` has none (approved already said it). */
export const REFUND_MAIL_TEMPLATES: Record<string, RefundTemplate> = {
  'refund.requested': refundRequestedTemplate,
  'refund.pending_review': refundPendingReviewTemplate,
  'refund.approved': refundApprovedTemplate,
  'refund.intercepting': refundInterceptingTemplate,
  'refund.awaiting_return': refundAwaitingReturnTemplate,
  'refund.inspecting': refundInspectingTemplate,
  'refund.rejected': refundRejectedTemplate,
  'refund.succeeded': refundSucceededTemplate,
  'refund.failed': refundFailedTemplate,
  'refund.cancelled': refundCancelledTemplate,
};
