import { type Locale, type RefundSnapshot, formatMoney } from '@ebb/contracts';

/** What a template makes of an event: the mail's subject and plain text. */
export interface RenderedMail {
  subject: string;
  text: string;
}

/** One mail: its name (stored on the row, a metrics label) and how it renders its event's payload. */
export interface MailTemplate<P> {
  name: string;
  render(payload: P): RenderedMail;
}

export type RefundTemplate = MailTemplate<RefundSnapshot>;

const REASONS: Record<string, string> = {
  requested_by_customer: 'requested by you',
  damaged: 'item arrived damaged',
  wrong_item: 'wrong item received',
};

/** The lines every refund mail carries: amount, refund and order ids, reason. */
export function refundFacts(refund: RefundSnapshot): string[] {
  return [
    `Amount: ${formatMoney({ amount: refund.amount, currency: refund.currency })}`,
    `Refund: ${refund.refundId}`,
    `Order: ${refund.orderId}`,
    `Reason: ${REASONS[refund.reason] ?? refund.reason.replace(/_/g, ' ')}`,
  ];
}

const FRAME: Record<Locale, { greeting: string; signOff: string }> = {
  en: { greeting: 'Hello,', signOff: 'The Ebb refunds team' },
  'zh-CN': { greeting: '您好，', signOff: 'Ebb 退款团队' },
};

/** A mail body: greeting, the message, the facts, a sign-off, in the reader's language (English unless given). */
export function mailText(message: string[], facts: string[], locale: Locale = 'en'): string {
  return [FRAME[locale].greeting, '', ...message, '', ...facts, '', FRAME[locale].signOff, ''].join('\n');
}
