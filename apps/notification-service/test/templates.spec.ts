import { LOCALES, REFUND_REASONS, type RefundSnapshot } from '@ebb/contracts';
import { REFUND_MAIL_TEMPLATES, paymentReceiptTemplate, sellerReviewTemplate } from '../src/templates';
import { TRANSLATIONS } from '../src/templates/translations';

const refund: RefundSnapshot = {
  refundId: 'ref_1',
  orderId: 'ord_1',
  customerId: 'cus_1',
  email: 'lin@example.com',
  status: 'approved',
  amount: 123456,
  currency: 'CNY',
  reason: 'damaged',
  initiator: 'customer',
  shipped: false,
  note: 'the shade was cracked',
};
const CJK = /[\u4e00-\u9fff]/;

describe('mail templates in English and Simplified Chinese (Handlebars and i18next)', () => {
  const mails = [
    ...Object.values(REFUND_MAIL_TEMPLATES).map((template) => ({ name: template.name, render: (locale: (typeof LOCALES)[number]) => template.render(refund, locale) })),
    { name: paymentReceiptTemplate.name, render: (locale: (typeof LOCALES)[number]) => paymentReceiptTemplate.render({ orderId: 'ord_1', customerId: 'cus_1', email: 'lin@example.com', paymentId: 'pay_1', amount: 123456, currency: 'CNY' }, locale) },
    {
      name: sellerReviewTemplate.name,
      render: (locale: (typeof LOCALES)[number]) =>
        sellerReviewTemplate.render({ refundId: 'ref_1', orderId: 'ord_1', amount: 123456, currency: 'CNY', sellerName: 'Lamp & Co', autoApproveAt: '2026-12-01T12:00:00Z' }, locale),
    },
  ];

  it('has every sentence in both languages, and a reason for every refund reason', () => {
    expect(Object.keys(TRANSLATIONS['zh-CN']).sort()).toEqual(Object.keys(TRANSLATIONS.en).sort());
    for (const reason of REFUND_REASONS) expect(TRANSLATIONS.en[`reason.${reason}`]).toBeDefined();
  });

  it.each(mails.map((mail) => [mail.name, mail]))('writes %s in both languages, each whole and in its own words', (_name, mail) => {
    const en = mail.render('en');
    const zh = mail.render('zh-CN');
    for (const rendered of [en, zh]) {
      expect(rendered.subject.length).toBeGreaterThan(0);
      // no untranslated key, no unfilled placeholder
      expect(`${rendered.subject}\n${rendered.text}`).not.toMatch(/\{\{|\}\}|\b(refund_|payment_receipt|seller_review|facts|reason)\.[a-z_]+/);
    }
    expect(CJK.test(en.subject + en.text)).toBe(false);
    expect(CJK.test(zh.subject)).toBe(true);
    expect(zh.text).toMatch(/^您好，|^Lamp & Co，您好：/);
    expect(zh.text).toContain('Ebb 退款团队');
    // money by Intl in the order's currency, in the reader's way: CN¥ for English readers, ¥ for Chinese
    expect(en.text).toContain('CN¥1,234.56');
    expect(zh.text).toContain('¥1,234.56');
  });

  it('tells the seller when the system approves a refund they did not decide, or that a person must', () => {
    const waiting = { refundId: 'ref_1', orderId: 'ord_1', amount: 500000, currency: 'USD', sellerName: 'Lamp & Co' };
    expect(sellerReviewTemplate.render(waiting, 'en').text).toContain('It is above the automatic approval limit');
    expect(sellerReviewTemplate.render({ ...waiting, autoApproveAt: '2026-12-01T12:00:00Z' }, 'en').text).toContain('If nobody decides by December 1, 2026 at 12:00 PM UTC, it is approved automatically.');
    expect(sellerReviewTemplate.render({ ...waiting, autoApproveAt: '2026-12-01T12:00:00Z' }, 'zh-CN').text).toContain('如果在 2026年12月1日 12:00 UTC 之前无人处理，该退款将自动批准。');
    expect(sellerReviewTemplate.render(waiting, 'zh-CN').subject).toBe('订单 ord_1 的 US$5,000.00 退款等待您审核');
  });

  it('keeps support’s note on a rejection, in either language', () => {
    expect(REFUND_MAIL_TEMPLATES['refund.rejected'].render(refund, 'zh-CN').text).toContain('备注：the shade was cracked');
  });
});
