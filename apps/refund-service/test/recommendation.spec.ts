import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { policyCatalogue } from '@ebb/testing';
import { Recommender, words } from '../src/recommendation/recommender';
import { loadVocabulary } from '../src/recommendation/vocabulary';

const catalogue = policyCatalogue();

describe('refund-window recommendations from a product’s title and description', () => {
  const recommender = new Recommender(loadVocabulary(), 0.5);

  it("finds Chinese words with Node's ICU, which has no spaces to split at", () => {
    expect(words('零基础Python入门课程：在线教程')).toEqual(['零', '基础', 'python', '入门', '课程', '在', '线', '教程']);
    // full-width letters, upper case and English plurals compare as their plain singular
    expect(words('ＰＤＦ Templates, Classes & Stories')).toEqual(['pdf', 'template', 'class', 'story']);
  });

  it('recommends the rule each product of the fixture catalogue (over 200, English and Chinese) calls for', () => {
    const locales = new Map(catalogue.sellers.map((seller) => [seller.sellerId, seller.locale]));
    expect(catalogue.products.length).toBeGreaterThanOrEqual(200);
    expect(catalogue.products.filter((product) => locales.get(product.sellerId) === 'zh-CN').length).toBeGreaterThanOrEqual(100);
    expect(catalogue.products.filter((product) => locales.get(product.sellerId) === 'en').length).toBeGreaterThanOrEqual(100);
    const wrong = catalogue.products
      .map((product) => ({ id: product.id, title: product.title, expected: product.expected, got: recommender.recommend(product) }))
      .filter((result) => result.got.rule !== result.expected);
    expect(wrong).toEqual([]);
  });

  it('answers the same for the same catalogue, every time', () => {
    const again = new Recommender(loadVocabulary(), 0.5);
    const report = (model: Recommender) => JSON.stringify(catalogue.products.map((product) => model.recommend(product)));
    expect(report(again)).toBe(report(recommender));
  });

  it('gives each recommendation its rule, the keywords that fired and a confidence; below the threshold, 30 days', () => {
    expect(recommender.recommend({ title: 'Sourdough Masterclass', description: 'Recorded workshop footage.' })).toEqual({
      windowDays: 60,
      rule: 'course',
      keywords: ['masterclass', 'workshop'],
      confidence: 0.75,
    });
    expect(recommender.recommend({ title: '简约简历模板', description: '' })).toEqual({ windowDays: 7, rule: 'template', keywords: ['模板'], confidence: 0.67 });
    expect(recommender.recommend({ title: 'Personalised pet portrait', description: '' })).toMatchObject({ windowDays: 0, rule: 'personalised' });
    // one word for each of two rules: too unsure, so the fallback, still naming what it saw
    expect(recommender.recommend({ title: 'Bundle: course and templates', description: '' })).toEqual({
      windowDays: 30,
      rule: 'fallback',
      keywords: ['course', 'template'],
      confidence: 0.4,
    });
    expect(recommender.recommend({ title: 'Gift card', description: 'Any amount' })).toEqual({ windowDays: 30, rule: 'fallback', keywords: [], confidence: 0 });
    // a stricter threshold sends a lone description word to the fallback too
    const strict = new Recommender(loadVocabulary(), 0.6);
    expect(strict.recommend({ title: 'Sketching', description: 'a short tutorial' })).toMatchObject({ rule: 'fallback', confidence: 0.5 });
    expect(recommender.recommend({ title: 'Sketching', description: 'a short tutorial' })).toMatchObject({ rule: 'course', confidence: 0.5 });
  });

  it("takes a shop's own vocabulary on top of the built-in one: more terms for a rule, a rule of its own", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ebb-vocabulary-'));
    const file = path.join(dir, 'shop.json');
    writeFileSync(
      file,
      JSON.stringify({
        rules: [
          { id: 'template', terms: { en: ['figma kit'] } },
          { id: 'membership', windowDays: 14, terms: { en: ['membership', { term: 'members club', weight: 2 }], 'zh-CN': ['会员'] } },
        ],
      }),
    );
    const shop = new Recommender(loadVocabulary(file), 0.5);
    expect(shop.recommend({ title: 'Figma kit for dashboards', description: '' })).toMatchObject({ rule: 'template', windowDays: 7, keywords: ['figma kit'] });
    expect(shop.recommend({ title: '年度会员', description: '' })).toMatchObject({ rule: 'membership', windowDays: 14 });
    expect(shop.recommend({ title: 'Makers members club', description: '' })).toMatchObject({ rule: 'membership', confidence: 0.8 });
    expect(recommender.recommend({ title: 'Figma kit for dashboards', description: '' }).rule).toBe('fallback');

    writeFileSync(file, JSON.stringify({ rules: [{ id: 'gift', terms: { en: ['gift card'] } }] }));
    expect(() => loadVocabulary(file)).toThrow(`${file}: rule gift is new and needs windowDays`);
    writeFileSync(file, JSON.stringify({ rules: [{ id: 'Bad Id', windowDays: 5, terms: {} }] }));
    expect(() => loadVocabulary(file)).toThrow(/rules\.0\.id must be lower-case/);
  });
});
