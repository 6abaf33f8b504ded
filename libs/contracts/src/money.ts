import { z } from 'zod';

/** Money is an integer count of the currency's minor unit (1999 USD = $19.99); never a float. */
export interface Money {
  amount: number;
  currency: string;
}

const ISO_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

/** ISO 4217 code, upper case. */
export const currencySchema = z
  .string()
  // a malformed code gets one message, not a second 'is not a currency' too
  .regex(/^[A-Z]{3}$/, { message: 'must be an ISO 4217 code in upper case, e.g. USD', abort: true })
  .refine((code) => ISO_CURRENCIES.has(code), 'is not an ISO 4217 currency');

/** A non-negative whole number of minor units that a JavaScript number holds exactly. */
export const minorUnitsSchema = z
  .number({ error: 'must be a number of minor units' })
  .int('must be a whole number of minor units')
  .nonnegative('must not be negative')
  .max(Number.MAX_SAFE_INTEGER, 'is too large');

/** A positive amount of minor units, for anything that moves money. */
export const positiveMinorUnitsSchema = minorUnitsSchema.refine((n) => n > 0, 'must be greater than zero');

export class MoneyError extends Error {}

function assertMinor(value: number): void {
  if (!Number.isSafeInteger(value)) throw new MoneyError(`${value} is not a whole number of minor units`);
}

/** Sum of minor-unit amounts; refuses anything that is not a safe integer. */
export function sumMinor(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) {
    assertMinor(value);
    total += value;
    if (!Number.isSafeInteger(total)) throw new MoneyError('sum exceeds the safe integer range');
  }
  return total;
}

/** unitAmount × quantity, exactly. */
export function multiplyMinor(unitAmount: number, quantity: number): number {
  assertMinor(unitAmount);
  assertMinor(quantity);
  const product = unitAmount * quantity;
  if (!Number.isSafeInteger(product)) throw new MoneyError('product exceeds the safe integer range');
  return product;
}

/**
 * Splits `total` minor units in proportion to `weights` by the largest-remainder method:
 * the parts are integers, add up to exactly `total`, and a tie goes to the earlier weight.
 */
export function allocateMinor(total: number, weights: number[]): number[] {
  assertMinor(total);
  if (weights.length === 0) throw new MoneyError('nothing to allocate to');
  weights.forEach(assertMinor);
  const weightSum = sumMinor(weights);
  if (weightSum === 0) throw new MoneyError('weights add up to zero');
  const big = BigInt(total);
  const bigSum = BigInt(weightSum);
  const parts = weights.map((w) => (big * BigInt(w)) / bigSum);
  const remainders = weights.map((w, i) => ({ i, r: (big * BigInt(w)) % bigSum }));
  let left = total - sumMinor(parts.map(Number));
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of remainders) {
    if (left === 0) break;
    parts[i] += 1n;
    left -= 1;
  }
  return parts.map(Number);
}

const digitsByCurrency = new Map<string, number>();

/** How many digits the currency's minor unit has (USD 2, JPY 0, KWD 3); asked of Intl once per currency. */
export function minorUnitDigits(currency: string): number {
  let digits = digitsByCurrency.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsByCurrency.set(currency, digits);
  }
  return digits;
}

/** A decimal amount in major units as a setting holds it: "5000", "19.99", "0.125". */
export const MAJOR_AMOUNT_PATTERN = /^(0|[1-9][0-9]{0,11})(\.[0-9]{1,3})?$/;

/**
 * A setting in major units (`"5000"`) as minor units of one currency, exactly and without floats:
 * 5000 is ¥5,000 = 5000, $5,000.00 = 500000, 5,000.000 KWD = 5000000. Digits finer than the
 * currency's minor unit are dropped (a limit of "0.125" is 12 cents): a limit never grows by rounding.
 */
export function majorToMinor(major: string, currency: string): number {
  const match = MAJOR_AMOUNT_PATTERN.exec(major);
  if (!match) throw new MoneyError(`${JSON.stringify(major)} is not an amount in major units`);
  const digits = minorUnitDigits(currency);
  const fraction = (match[2] ?? '.').slice(1).padEnd(digits, '0').slice(0, digits);
  const minor = Number(BigInt(match[1]) * 10n ** BigInt(digits) + BigInt(fraction || '0'));
  assertMinor(minor);
  return minor;
}

/**
 * Minor units as a decimal string in major units with every digit of the minor unit: 1234 CNY is
 * "12.34", 5 CNY "0.05", 100 JPY "100", -1999 USD "-19.99". Integers and strings only, never a float:
 * the form providers such as Alipay take amounts in (yuan strings with two decimals).
 */
export function minorToMajor(amount: number, currency: string): string {
  assertMinor(amount);
  const digits = minorUnitDigits(currency);
  const sign = amount < 0 ? '-' : '';
  const text = String(Math.abs(amount)).padStart(digits + 1, '0');
  return `${sign}${digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`}`;
}

const MAJOR_TEXT = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/**
 * A provider's decimal amount in major units ("12.34", "-0.50", "100") as minor units of the
 * currency, exactly: more digits than the minor unit has that are not zeros ("12.345" CNY), or
 * anything that is not a plain decimal, is refused (MoneyError), never rounded.
 */
export function parseMajor(text: string, currency: string): number {
  const match = MAJOR_TEXT.exec(text.trim());
  if (!match) throw new MoneyError(`${JSON.stringify(text)} is not a decimal amount`);
  const digits = minorUnitDigits(currency);
  const fraction = match[3] ?? '';
  if (/[1-9]/.test(fraction.slice(digits))) throw new MoneyError(`${text} has more decimals than ${currency} has`);
  const minor = BigInt(match[2]) * 10n ** BigInt(digits) + BigInt(fraction.slice(0, digits).padEnd(digits, '0') || '0');
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) throw new MoneyError(`${text} is too large`);
  return match[1] === '-' && minor !== 0n ? -Number(minor) : Number(minor);
}

/** "USD 19.99" for people; computed with integers and strings only. */
export function formatMoney({ amount, currency }: Money): string {
  return `${currency} ${minorToMajor(amount, currency)}`;
}

const formats = new Map<string, Intl.NumberFormat>();

/**
 * Money as a reader of `locale` writes it ("$19.99", "US$19.99", "¥5,000"): Intl.NumberFormat in the
 * money's currency, given the exact decimal string (never a float: Intl formats a string as written).
 */
export function formatMoneyIn(locale: string, money: Money): string {
  const key = `${locale}:${money.currency}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency: money.currency });
    formats.set(key, format);
  }
  return (format.format as unknown as (value: string) => string)(minorToMajor(money.amount, money.currency));
}
