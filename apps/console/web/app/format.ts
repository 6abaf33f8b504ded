// How the console writes money, times and ages: in the viewer's language and time zone, money in the
// order's currency from integer minor units (the exact decimal string, never a float).
import { formatMoneyIn } from '@ebb/api-client/browser';

export function money(locale: string, amount: number, currency: string): string {
  try {
    return formatMoneyIn(locale, { amount, currency });
  } catch {
    return `${currency} ${amount}`;
  }
}

const dateTimes = new Map<string, Intl.DateTimeFormat>();

/** A time in the viewer's own zone, with the zone named. */
export function dateTime(locale: string, iso: string | null | undefined): string {
  if (!iso) return '—';
  let format = dateTimes.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
    dateTimes.set(locale, format);
  }
  return format.format(new Date(iso));
}

/** A duration as its two largest units ("2 d 3 h", "5 min"), in the viewer's language. */
export function duration(locale: string, totalSeconds: number): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const units: [Intl.NumberFormatOptions['unit'], number][] = [
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
    ['second', 1],
  ];
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0 || (unit === 'second' && parts.length === 0)) {
      parts.push(new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short' }).format(count));
      rest -= count * size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

export function percent(locale: string, ratio: number): string {
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 2 }).format(ratio);
}

export function seconds(locale: string, value: number): string {
  return new Intl.NumberFormat(locale, { style: 'unit', unit: 'second', unitDisplay: 'short', maximumFractionDigits: 2 }).format(value);
}

/** The viewer's time zone, as the browser knows it. */
export const viewerTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;
