/** Alipay and WeChat Pay speak Beijing time (UTC+8, no daylight saving): their days and timestamps. */
const OFFSET_MS = 8 * 60 * 60 * 1000;

/** `2026-12-07 15:04:05`, as Alipay writes times. */
export function beijingTime(at: Date): string {
  return new Date(at.getTime() + OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** `2026-12-07T15:04:05+08:00`, as WeChat Pay writes times (RFC 3339). */
export function beijingRfc3339(at: Date): string {
  return `${new Date(at.getTime() + OFFSET_MS).toISOString().slice(0, 19)}+08:00`;
}

/** The Beijing calendar day an instant falls on: `2026-12-07`. */
export function beijingDay(at: Date): string {
  return new Date(at.getTime() + OFFSET_MS).toISOString().slice(0, 10);
}
