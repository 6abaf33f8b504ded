// When a shop calls again: what it does with each answer, as api-v1.md tells a client to.

/** One attempt's result: an HTTP answer (with the API's error code), or no answer at all. */
export type Attempt = { status: number; code?: string } | { error: string };

export interface Verdict {
  action: 'done' | 'retry' | 'give-up';
  /** why: `network`, `timeout`, `http_503`, the error code… — the key the report counts by */
  reason: string;
}

/** Conflicts that say "not now" rather than "no": the same request may succeed a moment later. */
export const RETRYABLE_CONFLICTS: readonly string[] = ['refund_in_progress', 'request_in_progress'];

/**
 * Network errors and timeouts, every 5xx (503 included), and the 409s of RETRYABLE_CONFLICTS are
 * retried with the same Idempotency-Key and body; any other 4xx is the answer, and the shop gives up.
 */
export function classify(attempt: Attempt): Verdict {
  if ('error' in attempt) return { action: 'retry', reason: /timeout|abort/i.test(attempt.error) ? 'timeout' : 'network' };
  const { status, code } = attempt;
  if (status < 400) return { action: 'done', reason: `http_${status}` };
  if (status >= 500) return { action: 'retry', reason: `http_${status}` };
  if (status === 409 && code && RETRYABLE_CONFLICTS.includes(code)) return { action: 'retry', reason: code };
  return { action: 'give-up', reason: `${status} ${code ?? `http_${status}`}` };
}

/** The wait before retry `n` (0-based): 200 ms doubling to 5 s, with up to 20% jitter so retries spread. */
export function backoffMs(n: number, jitter: number = Math.random()): number {
  return Math.round(Math.min(5000, 200 * 2 ** n) * (1 + 0.2 * jitter));
}
