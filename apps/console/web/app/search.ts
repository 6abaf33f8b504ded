// A table's state lives in the URL (page, sort, filters), so a link shows exactly what its sender saw.
// Each page's `validateSearch` keeps only the keys it knows, as strings.

/** The string value of a search parameter, else undefined (empty strings count as absent). */
export function text(search: Record<string, unknown>, key: string): string | undefined {
  const value = search[key];
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** One of the allowed values, else undefined. */
export function oneOf<T extends string>(search: Record<string, unknown>, key: string, allowed: readonly T[]): T | undefined {
  const value = text(search, key);
  return value !== undefined && (allowed as readonly string[]).includes(value) ? (value as T) : undefined;
}

/** A date (YYYY-MM-DD) from a date input, else undefined. */
export function day(search: Record<string, unknown>, key: string): string | undefined {
  const value = text(search, key);
  return value && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : undefined;
}

/** The start of a day in the viewer's own time zone, as the ISO instant the API takes. */
export function startOfDay(value: string): string {
  const [year, month, date] = value.split('-').map(Number);
  return new Date(year, month - 1, date).toISOString();
}

/** The start of the day after, so that "to" includes the whole day it names. */
export function startOfNextDay(value: string): string {
  const [year, month, date] = value.split('-').map(Number);
  return new Date(year, month - 1, date + 1).toISOString();
}

/** The search without its undefined keys (so the URL holds only what is set). */
export function compact<T extends Record<string, unknown>>(search: T): T {
  return Object.fromEntries(Object.entries(search).filter(([, value]) => value !== undefined && value !== '')) as T;
}

/** Sorts a page of rows locally by a column; the API gives the order between pages. */
export function sortRows<T>(rows: T[], by: ((row: T) => string | number) | undefined, dir: 'asc' | 'desc'): T[] {
  if (!by) return rows;
  const sorted = [...rows].sort((a, b) => {
    const x = by(a);
    const y = by(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return dir === 'desc' ? sorted.reverse() : sorted;
}
