/** How long a lock lives in Redis unless extended; `withLock` extends it while its work runs. */
export const LOCK_TTL_MS = 5000;
/** The shortest ttl allowed: redlock extends `threshold` ms before expiry and needs ≥ 100 ms of slack. */
export const LOCK_MIN_TTL_MS = 200;
/** How long a caller waits for a busy lock before `LockTimeoutError`; waits are always bounded. */
export const LOCK_MAX_WAIT_MS = 5000;
/** Pause between acquisition attempts; short because our critical sections are a few queries long. */
export const LOCK_RETRY_DELAY_MS = 50;
/** Random spread on each pause so that many waiters do not retry in lockstep. */
export const LOCK_RETRY_JITTER_MS = 25;
/** Extend this many ms before expiry (capped at half the ttl, so short ttls still extend in time). */
export const LOCK_EXTENSION_THRESHOLD_MS = 1000;
/** Retries for extend and release: they act on a lock we already hold, so a few quick tries suffice. */
export const LOCK_HOLDER_RETRY_COUNT = 2;
/** Clock drift allowance of the Redlock algorithm (a fraction of the ttl). */
export const LOCK_DRIFT_FACTOR = 0.01;
/** Read → propose rounds for a fencing token over several masters before giving up. */
export const FENCE_MAX_ROUNDS = 5;

/** Redis key prefixes: the lock itself expires; its fencing counter must never expire. */
export const LOCK_KEY_PREFIX = 'lock:';
export const FENCE_KEY_PREFIX = 'fence:';
