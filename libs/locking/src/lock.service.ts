import { FAST_BUCKETS, createLogger, histogram } from '@ebb/observability';
import type Redis from 'ioredis';
import Redlock, { ExecutionError, ResourceLockedError, type Settings } from 'redlock';
import { nextFencingToken } from './fencing-token';
import {
  LOCK_DRIFT_FACTOR,
  LOCK_EXTENSION_THRESHOLD_MS,
  LOCK_HOLDER_RETRY_COUNT,
  LOCK_KEY_PREFIX,
  LOCK_MAX_WAIT_MS,
  LOCK_MIN_TTL_MS,
  LOCK_RETRY_DELAY_MS,
  LOCK_RETRY_JITTER_MS,
  LOCK_TTL_MS,
} from './lock.constants';
import { LockTimeoutError, LockUnavailableError } from './lock-errors';

/** What the work inside `withLock` is handed. */
export interface HeldLock {
  key: string;
  /** Strictly increasing per key: pass it to `assertFencingToken` with the guarded write. */
  token: number;
  /** Aborts when the lock could not be extended: exclusivity is lost, stop before writing. */
  signal: AbortSignal;
}

export interface WithLockOptions {
  /** Give up with `LockTimeoutError` after waiting this long for a busy lock (0: try once). */
  maxWaitMs?: number;
  /** Lifetime of the lock in Redis between automatic extensions. */
  ttlMs?: number;
}

export interface LockServiceOptions extends WithLockOptions {
  retryDelayMs?: number;
  retryJitterMs?: number;
  logger?: { warn(details: object, message: string): void };
}

const waitSeconds = histogram('lock_wait_seconds', 'Time spent waiting for a lock, by outcome', ['outcome'], FAST_BUCKETS);
const holdSeconds = histogram('lock_hold_seconds', 'Time a lock was held, from acquisition to release', [], FAST_BUCKETS);

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** True if `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true, () => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Distributed locks over one or more Redis masters (Redlock), each hold carrying a fencing token. */
export class LockService {
  private readonly redlock: Redlock;
  private readonly clients: Redis[];
  private readonly ttlMs: number;
  private readonly maxWaitMs: number;
  private readonly retryDelayMs: number;
  private readonly retryJitterMs: number;
  private readonly logger: NonNullable<LockServiceOptions['logger']>;
  /** Per key, the tail of this process's queue of callers: they take turns here before asking Redis. */
  private readonly localQueues = new Map<string, Promise<void>>();

  constructor({ clients, options = {} }: { clients: Redis[]; options?: LockServiceOptions }) {
    if (clients.length === 0) throw new Error('LockService needs at least one Redis client');
    this.clients = clients;
    this.ttlMs = options.ttlMs ?? LOCK_TTL_MS;
    this.maxWaitMs = options.maxWaitMs ?? LOCK_MAX_WAIT_MS;
    this.retryDelayMs = options.retryDelayMs ?? LOCK_RETRY_DELAY_MS;
    this.retryJitterMs = options.retryJitterMs ?? LOCK_RETRY_JITTER_MS;
    this.logger = options.logger ?? createLogger('locking');
    // these settings serve extend and release (a lock we hold); acquisition gets its own per call
    this.redlock = new Redlock(clients, {
      driftFactor: LOCK_DRIFT_FACTOR,
      retryCount: LOCK_HOLDER_RETRY_COUNT,
      retryDelay: this.retryDelayMs,
      retryJitter: this.retryJitterMs,
      automaticExtensionThreshold: LOCK_EXTENSION_THRESHOLD_MS,
    });
    // redlock emits every refused vote; without a listener the emit would throw inside redlock
    this.redlock.on('error', (error: Error) => {
      if (!(error instanceof ResourceLockedError)) this.logger.warn({ err: error }, 'redis refused a lock operation');
    });
  }

  /**
   * Runs `fn` while holding `lock:<key>`, waiting at most `maxWaitMs` for it (`LockTimeoutError`
   * otherwise, and `fn` never runs). The lock is extended while `fn` runs; if an extension fails,
   * `signal` aborts. `fn` gets a fencing token to hand to `assertFencingToken` with its write.
   * A failed release after `fn` finished is logged, never thrown: the lock expires on its own.
   */
  async withLock<T>(key: string, fn: (lock: HeldLock) => Promise<T>, options: WithLockOptions = {}): Promise<T> {
    const ttlMs = options.ttlMs ?? this.ttlMs;
    const maxWaitMs = options.maxWaitMs ?? this.maxWaitMs;
    if (!Number.isInteger(ttlMs) || ttlMs < LOCK_MIN_TTL_MS) throw new RangeError(`lock ttl must be an integer ≥ ${LOCK_MIN_TTL_MS} ms, got ${ttlMs}`);
    if (!(maxWaitMs >= 0)) throw new RangeError(`lock maxWaitMs must be ≥ 0, got ${maxWaitMs}`);

    const settings: Partial<Settings> = {
      // the wait is bounded by counting attempts: one immediate try, then one per retry delay
      retryCount: Math.floor(maxWaitMs / this.retryDelayMs),
      retryDelay: this.retryDelayMs,
      retryJitter: Math.min(this.retryJitterMs, this.retryDelayMs),
      automaticExtensionThreshold: Math.min(LOCK_EXTENSION_THRESHOLD_MS, Math.floor(ttlMs / 2)),
    };
    const started = performance.now();
    // Callers in this process queue up first, in arrival order, and only the head asks Redis: a busy
    // key then changes hands as soon as it is released instead of at the next retry of many pollers.
    // Redis still decides between processes; the local turn only saves them polling each other.
    const ahead = this.localQueues.get(key);
    let leave!: () => void;
    const mine = new Promise<void>((resolve) => (leave = resolve));
    const tail = (ahead ?? Promise.resolve()).then(() => mine);
    this.localQueues.set(key, tail);
    try {
      if (ahead && !(await settlesWithin(ahead, maxWaitMs))) {
        const waitedMs = Math.round(performance.now() - started);
        waitSeconds.observe({ outcome: 'timeout' }, waitedMs / 1000);
        throw new LockTimeoutError(key, waitedMs);
      }
      const remainingMs = Math.max(0, maxWaitMs - (performance.now() - started));
      return await this.acquireAndRun(key, fn, ttlMs, { ...settings, retryCount: Math.floor(remainingMs / this.retryDelayMs) }, started);
    } finally {
      leave();
      if (this.localQueues.get(key) === tail) this.localQueues.delete(key);
    }
  }

  private async acquireAndRun<T>(key: string, fn: (lock: HeldLock) => Promise<T>, ttlMs: number, settings: Partial<Settings>, started: number): Promise<T> {
    let acquiredAt: number | undefined;
    let outcome: Outcome<T> | undefined;
    try {
      await this.redlock.using([`${LOCK_KEY_PREFIX}${key}`], ttlMs, settings, async (signal) => {
        acquiredAt = performance.now();
        waitSeconds.observe({ outcome: 'acquired' }, (acquiredAt - started) / 1000);
        // fn's outcome is kept here rather than thrown through redlock, whose release could replace it
        try {
          const token = await nextFencingToken(this.clients, key);
          outcome = { ok: true, value: await fn({ key, token, signal }) };
        } catch (error) {
          outcome = { ok: false, error };
        }
      });
    } catch (error) {
      if (acquiredAt === undefined) throw await this.acquisitionFailure(key, started, error);
      // release failed (lock already expired, or masters unreachable): it expires within its ttl anyway
      this.logger.warn({ err: error, key }, 'lock release failed after its work finished');
    } finally {
      if (acquiredAt !== undefined) holdSeconds.observe((performance.now() - acquiredAt) / 1000);
    }
    if (!outcome) throw new Error(`INVARIANT: lock "${key}" was acquired but its work left no outcome`);
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /** A busy lock becomes LockTimeoutError; masters that could not vote at all, LockUnavailableError. */
  private async acquisitionFailure(key: string, started: number, error: unknown): Promise<unknown> {
    if (!(error instanceof ExecutionError)) return error;
    const waitedMs = Math.round(performance.now() - started);
    const last = await error.attempts.at(-1);
    const busy = last ? [...last.votesAgainst.values()].some((reason) => reason instanceof ResourceLockedError) : false;
    if (busy) {
      waitSeconds.observe({ outcome: 'timeout' }, waitedMs / 1000);
      return new LockTimeoutError(key, waitedMs);
    }
    waitSeconds.observe({ outcome: 'unavailable' }, waitedMs / 1000);
    const reasons = last ? [...last.votesAgainst.values()].map((reason) => reason.message).join('; ') : error.message;
    return new LockUnavailableError(key, `no Redis quorum: ${reasons}`, { cause: error });
  }
}
