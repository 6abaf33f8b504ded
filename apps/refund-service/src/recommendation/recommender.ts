import type { Vocabulary } from './vocabulary';

/** A recommended refund window: the rule that fired (or `fallback`), its keywords, and how sure it is (0–1). */
export interface Recommendation {
  windowDays: number;
  rule: string;
  keywords: string[];
  confidence: number;
}

/** What a product is known by. */
export interface Describable {
  title: string;
  description: string;
}

// one segmenter for every language: ICU's word rules split Latin text at spaces and punctuation and
// Chinese (which has none) by its dictionary
const segmenter = new Intl.Segmenter('zh-CN', { granularity: 'word' });

/** An English word's singular: courses → course, classes → class, stories → story (others as they are). */
function singular(word: string): string {
  if (!/^[a-z]+$/.test(word) || word.length <= 3) return word;
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (/(ss|x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/** The words of a text, as the model compares them: NFKC (full-width → half-width), lower case, English singular. */
export function words(text: string): string[] {
  const normal = text.normalize('NFKC').toLowerCase();
  return [...segmenter.segment(normal)].filter((part) => part.isWordLike).map((part) => singular(part.segment));
}

const contains = (haystack: string[], needle: string[]) => {
  if (needle.length === 0) return false;
  for (let i = 0; i + needle.length <= haystack.length; i++) {
    if (needle.every((word, j) => haystack[i + j] === word)) return true;
  }
  return false;
};

/**
 * A keyword and phrase model: each rule's terms are looked for, as sequences of words, in a product's
 * title (counting twice) and description; the rule with the highest score wins, ties going to the
 * rule listed first. Its confidence is its score against the runner-up's, `top / (top + second + 1)`:
 * one word in the title alone is 0.67, a word for each of two rules 0.4. Below `minConfidence` the
 * window falls back to the vocabulary's (30 days). The same text always gives the same answer.
 */
export class Recommender {
  private readonly rules: { id: string; windowDays: number; terms: { text: string; weight: number; words: string[] }[] }[];

  constructor(
    private readonly vocabulary: Vocabulary,
    private readonly minConfidence: number,
  ) {
    this.rules = vocabulary.rules.map((rule) => ({ ...rule, terms: rule.terms.map((term) => ({ ...term, words: words(term.text) })) }));
  }

  recommend(product: Describable): Recommendation {
    const title = words(product.title);
    const description = words(product.description);
    const scored = this.rules.map((rule, order) => {
      let score = 0;
      const keywords: string[] = [];
      const seen = new Set<string>();
      for (const term of rule.terms) {
        const key = term.words.join(' ');
        if (seen.has(key)) continue;
        const weight = contains(title, term.words) ? 2 : contains(description, term.words) ? 1 : 0;
        if (weight === 0) continue;
        seen.add(key);
        score += weight * term.weight;
        keywords.push(term.text);
      }
      return { rule, order, score, keywords };
    });
    const ranked = [...scored].sort((a, b) => b.score - a.score || a.order - b.order);
    const [top, second] = ranked;
    const confidence = top && top.score > 0 ? Math.round((100 * top.score) / (top.score + (second?.score ?? 0) + 1)) / 100 : 0;
    if (!top || top.score === 0 || confidence < this.minConfidence) {
      const fired = scored.filter((entry) => entry.score > 0).flatMap((entry) => entry.keywords);
      return { windowDays: this.vocabulary.fallbackWindowDays, rule: 'fallback', keywords: fired, confidence };
    }
    return { windowDays: top.rule.windowDays, rule: top.rule.id, keywords: top.keywords, confidence };
  }
}
