import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { LOCALES } from '@ebb/contracts';

const termSchema = z.union([z.string().trim().min(1), z.strictObject({ term: z.string().trim().min(1), weight: z.number().positive().max(10) })]);
const termsSchema = z.strictObject(Object.fromEntries(LOCALES.map((locale) => [locale, z.array(termSchema).default([])])) as Record<(typeof LOCALES)[number], z.ZodDefault<z.ZodArray<typeof termSchema>>>);
const ruleSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be lower-case letters, digits and _'),
  /** required for a rule of its own; leave it out to add terms to a built-in rule */
  windowDays: z.number().int().min(0).max(3650).optional(),
  description: z.string().optional(),
  terms: termsSchema,
});
const vocabularySchema = z.strictObject({
  fallbackWindowDays: z.number().int().min(0).max(3650).optional(),
  rules: z.array(ruleSchema),
});

/** A term of a rule: the words (or phrase) as written, and how much finding it counts. */
export interface Term {
  text: string;
  weight: number;
}

/** One rule of the model: the window it recommends and the terms that speak for it, in both languages. */
export interface Rule {
  id: string;
  windowDays: number;
  terms: Term[];
}

export interface Vocabulary {
  fallbackWindowDays: number;
  rules: Rule[];
}

/** The built-in vocabulary, beside this file. */
export const BUILT_IN_VOCABULARY = path.join(__dirname, 'built-in-vocabulary.json');

function read(file: string): z.output<typeof vocabularySchema> {
  const parsed = vocabularySchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}`);
  return parsed.data;
}

/**
 * The recommendation vocabulary: the built-in one, and a shop's own (`POLICY_VOCABULARY_PATH`) on top:
 * a rule of the same id gains its terms (and its window, if given), a new rule is added after the
 * built-in ones. Rules keep their order, which breaks ties.
 */
export function loadVocabulary(extraPath?: string): Vocabulary {
  const base = read(BUILT_IN_VOCABULARY);
  const extra = extraPath ? read(extraPath) : undefined;
  const rules: Rule[] = [];
  const termsOf = (rule: z.output<typeof ruleSchema>): Term[] =>
    LOCALES.flatMap((locale) => rule.terms[locale].map((term) => (typeof term === 'string' ? { text: term, weight: 1 } : { text: term.term, weight: term.weight })));
  for (const rule of [...base.rules, ...(extra?.rules ?? [])]) {
    const known = rules.find((existing) => existing.id === rule.id);
    if (known) {
      known.terms.push(...termsOf(rule));
      if (rule.windowDays !== undefined) known.windowDays = rule.windowDays;
    } else {
      if (rule.windowDays === undefined) throw new Error(`${extraPath ?? BUILT_IN_VOCABULARY}: rule ${rule.id} is new and needs windowDays`);
      rules.push({ id: rule.id, windowDays: rule.windowDays, terms: termsOf(rule) });
    }
  }
  return { fallbackWindowDays: extra?.fallbackWindowDays ?? base.fallbackWindowDays ?? 30, rules };
}
