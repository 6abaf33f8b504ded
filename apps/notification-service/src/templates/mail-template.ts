import Handlebars from 'handlebars';
import i18next, { type TFunction } from 'i18next';
import { LOCALES, type Locale, type Money, formatMoneyIn } from '@ebb/contracts';
import { TRANSLATIONS } from './translations';

/** What a template makes of an event: the mail's subject and plain text. */
export interface RenderedMail {
  subject: string;
  text: string;
}

/** One mail: its name (stored on the row, a metrics label) and how it renders its payload in a language. */
export interface MailTemplate<P> {
  name: string;
  render(payload: P, locale: Locale): RenderedMail;
}

// one i18next instance for the mails, loaded at start; plain text, so nothing is HTML-escaped
const i18n = i18next.createInstance();
void i18n.init({
  initAsync: false,
  resources: Object.fromEntries(LOCALES.map((locale) => [locale, { mail: TRANSLATIONS[locale] }])),
  ns: ['mail'],
  defaultNS: 'mail',
  fallbackLng: false,
  interpolation: { escapeValue: false },
  returnNull: false,
});

/** The sentences of a language; a key it lacks comes back as the key itself (the template test looks for that). */
export const translator = (locale: Locale): TFunction => i18n.getFixedT(locale);

/** Money as a reader of `locale` writes it: Intl in the money's currency, from the exact minor units. */
export const moneyIn = (locale: Locale, money: Money) => formatMoneyIn(locale, money);

/** Every mail's shape: greeting, the message, the facts, a sign-off (Handlebars, plain text: nothing escaped). */
const LAYOUT = Handlebars.compile<{ greeting: string; message: string[]; facts: string[]; signoff: string }>(
  '{{greeting}}\n\n{{#each message}}{{this}}\n{{/each}}\n{{#each facts}}{{this}}\n{{/each}}\n{{signoff}}\n',
  { noEscape: true, strict: true },
);

/** A mail body in `locale`: its greeting (the default, or one of the template's), message lines and facts. */
export function mailText(t: TFunction, message: string[], facts: string[], greeting = t('greeting')): string {
  return LAYOUT({ greeting, message: message.flatMap((line) => line.split('\n')), facts, signoff: t('signoff') });
}
