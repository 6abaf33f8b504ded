import type { Locale, OrderCaptured, RefundPolicyChangesAnnounced, RefundSnapshot } from '@ebb/contracts';
import type { TFunction } from 'i18next';
import { type MailTemplate, mailText, moneyIn, translator } from './mail-template';

export * from './mail-template';

export type RefundTemplate = MailTemplate<RefundSnapshot>;

/** The lines every refund mail carries: amount, refund and order ids, reason. */
function refundFacts(t: TFunction, refund: RefundSnapshot, amount: string): string[] {
  return [
    t('facts.amount', { amount }),
    t('facts.refund', { refundId: refund.refundId }),
    t('facts.order', { orderId: refund.orderId }),
    t('facts.reason', { reason: t(`reason.${refund.reason}`) }),
  ];
}

/** A customer's refund mail: `<name>.subject` and `<name>.body` (or the body `bodyKey` picks), then the facts. */
function refundMail(name: string, options: { bodyKey?: (refund: RefundSnapshot) => string; extra?: (t: TFunction, refund: RefundSnapshot) => string[] } = {}): RefundTemplate {
  return {
    name,
    render(refund, locale) {
      const t = translator(locale);
      const amount = moneyIn(locale, refund);
      const values = { amount, orderId: refund.orderId, failure: refund.failureReason ?? t('refund_failed.unknown') };
      return {
        subject: t(`${name}.subject`, values),
        text: mailText(t, [t(options.bodyKey?.(refund) ?? `${name}.body`, values), ...(options.extra?.(t, refund) ?? [])], refundFacts(t, refund, amount)),
      };
    },
  };
}

/** Support's note, when it gave one (a rejection says why). */
const note = (t: TFunction, refund: RefundSnapshot) => (refund.note ? [t('facts.note', { note: refund.note })] : []);

/** The customer's mail for each refund event; `refund.refunding` has none (approved already said it). */
export const REFUND_MAIL_TEMPLATES: Record<string, RefundTemplate> = {
  'refund.requested': refundMail('refund_requested'),
  'refund.pending_review': refundMail('refund_pending_review'),
  'refund.approved': refundMail('refund_approved', { bodyKey: (refund) => (refund.shipped ? 'refund_approved.body_shipped' : 'refund_approved.body') }),
  'refund.intercepting': refundMail('refund_intercepting'),
  'refund.awaiting_return': refundMail('refund_awaiting_return'),
  'refund.inspecting': refundMail('refund_inspecting'),
  'refund.rejected': refundMail('refund_rejected', { extra: note }),
  'refund.succeeded': refundMail('refund_succeeded'),
  'refund.failed': refundMail('refund_failed'),
  'refund.cancelled': refundMail('refund_cancelled'),
};

/** Sent when the payment of an order is captured (`order.captured`). */
export const paymentReceiptTemplate: MailTemplate<OrderCaptured> = {
  name: 'payment_receipt',
  render(order, locale) {
    const t = translator(locale);
    const amount = moneyIn(locale, order);
    return {
      subject: t('payment_receipt.subject', { amount, orderId: order.orderId }),
      text: mailText(t, [t('payment_receipt.body')], [t('facts.amount', { amount }), t('facts.order', { orderId: order.orderId }), t('facts.payment', { paymentId: order.paymentId })]),
    };
  },
};

/** What the seller's review mail needs: the refund, and who the seller is (their directory's name). */
export interface SellerReview {
  refundId: string;
  orderId: string;
  amount: number;
  currency: string;
  sellerName: string;
  /** when the system approves it if the seller does not decide; absent when a person must */
  autoApproveAt?: string;
}

/**
 * The seller's "a refund awaits your review" mail, in the seller's language. Rendered and tested here;
 * sending it waits for the seller directory (e-mail and locale of each seller, issue 12).
 */
export const sellerReviewTemplate: MailTemplate<SellerReview> = {
  name: 'seller_refund_review',
  render(review, locale: Locale) {
    const t = translator(locale);
    const amount = moneyIn(locale, review);
    const at = review.autoApproveAt
      ? new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(review.autoApproveAt)) + ' UTC'
      : undefined;
    return {
      subject: t('seller_review.subject', { amount, orderId: review.orderId }),
      text: mailText(
        t,
        [t('seller_review.body', { amount, orderId: review.orderId }), at ? t('seller_review.auto', { at }) : t('seller_review.person')],
        [t('facts.amount', { amount }), t('facts.refund', { refundId: review.refundId }), t('facts.order', { orderId: review.orderId })],
        t('seller_review.greeting', { seller: review.sellerName }),
      ),
    };
  },
};

/** What the policy-change mail renders: the run's changes and the seller it goes to. */
export type PolicyChangesMail = RefundPolicyChangesAnnounced & { sellerName: string };

/**
 * The mail a seller gets before a policy migration changes its products' refund windows: every
 * product with its old and new window, in the seller's language. One per seller and run.
 */
export const policyChangesTemplate: MailTemplate<PolicyChangesMail> = {
  name: 'seller_policy_changes',
  render(mail, locale) {
    const t = translator(locale);
    const window = (days: number) => (days === 0 ? t('policy_changes.no_refunds') : t('policy_changes.days', { count: days }));
    const lines = mail.changes.map((change) =>
      t('policy_changes.line', {
        title: change.title,
        productId: change.productId,
        from: window(change.oldWindowDays),
        source: t(`policy_changes.source_${change.oldSource}`),
        to: window(change.newWindowDays),
      }),
    );
    return {
      subject: t('policy_changes.subject', { count: mail.changes.length }),
      text: mailText(t, [t('policy_changes.body', { seller: mail.sellerName }), '', ...lines, '', t('policy_changes.closing')], [t('facts.change', { runId: mail.runId })]),
    };
  },
};
