/** The languages Ebb writes to customers and sellers in; an order carries one (default `en`). */
export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

/** A locale Ebb knows, or the default (an order from before locales, an event without one). */
export const localeOr = (value: string | null | undefined): Locale => (LOCALES as readonly string[]).includes(value ?? '') ? (value as Locale) : DEFAULT_LOCALE;
