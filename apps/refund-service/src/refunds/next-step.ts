import type { Locale } from '@ebb/contracts';
import type { RefundStatus } from './refund-state';

/** What the customer waits for next, in api-v1's words. */
export const NEXT_STEP_CODES = ['waiting_for_review', 'waiting_for_carrier', 'send_return', 'return_in_inspection', 'money_on_the_way', 'done', 'contact_support'] as const;
export type NextStepCode = (typeof NEXT_STEP_CODES)[number];

/** Each status's next step (the refund's own word, so a customer never has to write to ask). */
const CODE_OF: Record<RefundStatus, NextStepCode> = {
  requested: 'waiting_for_review',
  pending_review: 'waiting_for_review',
  approved: 'money_on_the_way',
  intercepting: 'waiting_for_carrier',
  awaiting_return: 'send_return',
  inspecting: 'return_in_inspection',
  refunding: 'money_on_the_way',
  succeeded: 'done',
  rejected: 'done',
  cancelled: 'done',
  failed: 'contact_support',
};

/** The sentence of each step in each language; `{by}` is where `expectedBy` is said, when Ebb knows it. */
const MESSAGES: Record<NextStepCode, Record<Locale, { text: string; by?: string }>> = {
  waiting_for_review: {
    en: { text: 'Your request is being reviewed.', by: 'You will have an answer by {by}.' },
    'zh-CN': { text: '您的退款申请正在审核中。', by: '我们将在 {by} 之前答复您。' },
  },
  waiting_for_carrier: {
    en: { text: 'We are asking the carrier to stop your parcel and bring it back; nothing to do on your side.' },
    'zh-CN': { text: '我们正在请承运商拦截您的包裹并退回，您无需做任何操作。' },
  },
  send_return: {
    en: { text: 'Please send the items back to us; your money is paid back once they have arrived and passed inspection.' },
    'zh-CN': { text: '请将商品寄回给我们；商品到达并通过检验后，我们将退款给您。' },
  },
  return_in_inspection: {
    en: { text: 'Your return has arrived and is being inspected.' },
    'zh-CN': { text: '您的退货已到达，正在检验中。' },
  },
  money_on_the_way: {
    en: { text: 'Your money is on its way back to your original payment method; it may take a few days to show.' },
    'zh-CN': { text: '退款正在退回您的原支付方式，可能需要几天时间到账。' },
  },
  done: {
    en: { text: 'This refund is complete: nothing more will happen.' },
    'zh-CN': { text: '此退款已结束，无需进一步操作。' },
  },
  contact_support: {
    en: { text: 'We could not pay this refund back yet; our team has been told. Contact support if you have questions.' },
    'zh-CN': { text: '我们暂时无法完成此退款，已通知我们的团队。如有疑问，请联系客服。' },
  },
};

export interface NextStep {
  code: NextStepCode;
  message: string;
  expectedBy?: string;
}

/**
 * The customer's next step for a refund in `status`, in `locale`: for a request waiting for a
 * decision, `expectedBy` is the moment Ebb promised one (the seller's automatic approval, else the
 * SLA's end).
 */
export function nextStepOf(status: RefundStatus, locale: Locale, expectedBy?: Date): NextStep {
  const code = CODE_OF[status];
  const { text, by } = MESSAGES[code][locale];
  if (!expectedBy || !by || code !== 'waiting_for_review') return { code, message: text };
  const when = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(expectedBy) + ' UTC';
  // Chinese sentences follow each other without a space
  const gap = locale === 'zh-CN' ? '' : ' ';
  return { code, message: `${text}${gap}${by.replace('{by}', when)}`, expectedBy: expectedBy.toISOString() };
}
