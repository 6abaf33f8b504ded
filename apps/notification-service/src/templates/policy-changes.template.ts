import type { Locale, RefundPolicyChangesAnnounced } from '@ebb/contracts';
import { type MailTemplate, mailText } from './mail-template';

/** What the policy-change mail renders: the run's changes and the seller it goes to. */
export type PolicyChangesMail = RefundPolicyChangesAnnounced & { sellerName: string };
type Change = RefundPolicyChangesAnnounced['changes'][number];

const NAME = 'seller_policy_changes';

const english = {
  window: (days: number) => (days === 0 ? 'no refunds' : days === 1 ? '1 day' : `${days} days`),
  source: { product: '', seller: " (your shop's window)", default: ' (the platform default)' } as Record<Change['oldSource'], string>,
};
const chinese = {
  window: (days: number) => (days === 0 ? '不可退款' : `${days} 天`),
  source: { product: '', seller: '（店铺统一期限）', default: '（平台默认期限）' } as Record<Change['oldSource'], string>,
};

/**
 * The mail a seller gets before a policy migration changes its products' refund windows: every
 * product with its old and new window, in the seller's language. One per seller and run.
 */
export const POLICY_CHANGES_TEMPLATES: Record<Locale, MailTemplate<PolicyChangesMail>> = {
  en: {
    name: NAME,
    render: (mail) => ({
      subject: `Refund windows of ${mail.changes.length} of your products are changing`,
      text: mailText(
        [
          `${mail.sellerName}, refunds on your products are moving to a window per product, chosen for what each product is.`,
          'These windows change now; a customer always keeps at least the window in force when they bought.',
          '',
          ...mail.changes.map((change) => `- ${change.title} (${change.productId}): ${english.window(change.oldWindowDays)}${english.source[change.oldSource]} → ${english.window(change.newWindowDays)}`),
          '',
          'Reply to this mail, or ask your account manager, if a window does not suit a product: it can be changed at any time.',
        ],
        [`Change: ${mail.runId}`],
        'en',
      ),
    }),
  },
  'zh-CN': {
    name: NAME,
    render: (mail) => ({
      subject: `您的 ${mail.changes.length} 件商品的退款期限即将调整`,
      text: mailText(
        [
          `${mail.sellerName}，您店铺的退款期限将改为按商品设置，依据每件商品的类型确定。`,
          '以下期限即刻生效；顾客始终至少享有其购买时有效的退款期限。',
          '',
          ...mail.changes.map((change) => `- ${change.title}（${change.productId}）：${chinese.window(change.oldWindowDays)}${chinese.source[change.oldSource]} → ${chinese.window(change.newWindowDays)}`),
          '',
          '如某件商品的期限不合适，请回复此邮件或联系您的客户经理，期限可随时调整。',
        ],
        [`变更编号：${mail.runId}`],
        'zh-CN',
      ),
    }),
  },
};
