// The shop's side of a chaos run: each call of the public API is sent, through the typed client, until
// it gets an answer the shop can act on, with the same Idempotency-Key and body every time, and every
// retry is counted.
import { randomUUID } from 'node:crypto';
import type { Answer, Service } from '@ebb/api-client';
import { backoffMs, classify } from './retry-policy';

/** What the shop's calls met, for the report. */
export interface ClientStats {
  calls: number;
  attempts: number;
  retries: Record<string, number>;
  /** answers the shop gave up on (4xx), by `METHOD /route status code` */
  refusals: Record<string, number>;
  /** 5xx answers, by `service status code`: a restart explains a 503, a 500 is a bug */
  serverErrors: Record<string, number>;
  /** calls still unanswered when their time ran out, by route */
  abandoned: Record<string, number>;
  /** calls that took longer than LONG_CALL_MS, as evidence of what a shop waits through (at most 50) */
  long: LongCall[];
}

export interface LongCall {
  route: string;
  seconds: number;
  attempts: number;
  /** the reasons of its retries, in order, repeats folded (`network ×3, request_in_progress ×20`) */
  reasons: string;
  outcome: 'done' | 'refused' | 'abandoned';
}

/** What each attempt of a call is sent with: the call's Idempotency-Key (a POST's), and its time limit. */
export interface AttemptInit {
  headers: Record<string, string>;
  signal: AbortSignal;
}

/** One attempt of a call: a typed client's request, e.g. `(init) => refunds.POST('/v1/refunds', { body, ...init })`. */
export type SendAttempt<T> = (init: AttemptInit) => Promise<{ data?: T; error?: unknown; response: Response }>;

export interface Outcome<T> {
  /** the last answer: 2xx, or the 4xx given up on */
  answer?: Answer<T>;
  ok: boolean;
  attempts: number;
}

/** One attempt waits at most this long: longer than the idempotency store's own 10 s wait. */
const ATTEMPT_TIMEOUT_MS = 30_000;
/** A shop retrying a refund: longer than a key left claimed by a killed process is held (5 min). */
export const CALL_BUDGET_MS = 6 * 60_000;
/**
 * 409 refund_in_progress this many times in a row: the idempotency store keeps a 4xx under the key,
 * so the same key gets the same answer for as long as the key is kept; the shop stops there.
 */
const SAME_CONFLICT_LIMIT = 8;

const LONG_CALL_MS = 20_000;
const bump = (counts: Record<string, number>, key: string) => (counts[key] = (counts[key] ?? 0) + 1);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ShopClient {
  readonly stats: ClientStats = { calls: 0, attempts: 0, retries: {}, refusals: {}, serverErrors: {}, abandoned: {}, long: [] };
  private stopAt = Infinity;

  /** `backoff`: the wait before retry n (tests make it short). */
  constructor(private readonly backoff: (n: number) => number = backoffMs) {}

  /** From now on every call still retrying gives up at `at` (the end of the run's settling). */
  giveUpAt(at: number): void {
    this.stopAt = at;
  }

  /**
   * Sends one call until it succeeds, is refused, or its budget runs out. `route` names it in the report,
   * with its ids taken out (`POST /v1/refunds/:id/inspection`); a POST carries one Idempotency-Key throughout.
   */
  async send<T>(service: Service, route: string, attempt: SendAttempt<T>, budgetMs = CALL_BUDGET_MS): Promise<Outcome<T>> {
    this.stats.calls++;
    const headers: Record<string, string> = route.startsWith('POST ') ? { 'idempotency-key': `chaos-${randomUUID()}` } : {};
    const started = Date.now();
    const deadline = started + budgetMs;
    const reasons: string[] = [];
    const finish = (outcome: LongCall['outcome'], result: Outcome<T>): Outcome<T> => {
      const seconds = (Date.now() - started) / 1000;
      if (seconds * 1000 >= LONG_CALL_MS && this.stats.long.length < 50) this.stats.long.push({ route, seconds, attempts: result.attempts, reasons: folded(reasons), outcome });
      return result;
    };
    let sameConflict = 0;
    let lastReason = '';
    for (let n = 0; ; n++) {
      this.stats.attempts++;
      let answer: Answer<T> | undefined;
      let failure: string | undefined;
      try {
        const { data, error, response } = await attempt({ headers, signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS) });
        answer = { status: response.status, body: (response.ok ? data : error) as T };
      } catch (error) {
        failure = `${(error as Error).name}: ${(error as Error).message}`;
      }
      const code = (answer?.body as { error?: { code?: string } } | undefined)?.error?.code;
      const verdict = classify(answer ? { status: answer.status, code } : { error: failure! });
      if (answer && answer.status >= 500) bump(this.stats.serverErrors, `${service} ${answer.status} ${code ?? ''}`.trim());
      if (verdict.action === 'done') return finish('done', { answer, ok: true, attempts: n + 1 });
      if (verdict.action === 'give-up') {
        bump(this.stats.refusals, `${route} ${verdict.reason}`);
        return finish('refused', { answer, ok: false, attempts: n + 1 });
      }
      reasons.push(verdict.reason);
      // request_in_progress is the store waiting on a claim (a crashed process's lasts until it goes stale): worth the whole budget
      sameConflict = verdict.reason === lastReason && verdict.reason === 'refund_in_progress' ? sameConflict + 1 : 0;
      lastReason = verdict.reason;
      const wait = this.backoff(Math.min(n, 5));
      if (sameConflict >= SAME_CONFLICT_LIMIT) {
        bump(this.stats.refusals, `${route} ${answer!.status} ${verdict.reason} (kept under the key: ${SAME_CONFLICT_LIMIT + 1} identical answers)`);
        return finish('refused', { answer, ok: false, attempts: n + 1 });
      }
      if (Date.now() + wait > Math.min(deadline, this.stopAt)) {
        bump(this.stats.abandoned, route);
        return finish('abandoned', { answer, ok: false, attempts: n + 1 });
      }
      bump(this.stats.retries, verdict.reason);
      await sleep(wait);
    }
  }
}

/** `a, a, a, b` → `a ×3, b`. */
export function folded(reasons: readonly string[]): string {
  const runs: [string, number][] = [];
  for (const reason of reasons) {
    const last = runs.at(-1);
    if (last && last[0] === reason) last[1]++;
    else runs.push([reason, 1]);
  }
  return runs.map(([reason, count]) => (count > 1 ? `${reason} ×${count}` : reason)).join(', ');
}
