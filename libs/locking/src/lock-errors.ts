/** The lock stayed busy for the whole bounded wait; the caller's work never ran. */
export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';
  constructor(
    readonly key: string,
    readonly waitedMs: number,
  ) {
    super(`lock "${key}" is held elsewhere: not acquired within ${waitedMs} ms`);
  }
}

/** Too few Redis masters answered to take the lock or draw its fencing token. */
export class LockUnavailableError extends Error {
  override readonly name = 'LockUnavailableError';
  constructor(
    readonly key: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`lock "${key}" is unavailable: ${reason}`, options);
  }
}

/** A newer holder of the lock has already written: this holder's lock expired and its write must not land. */
export class StaleLockError extends Error {
  override readonly name = 'StaleLockError';
  constructor(
    readonly key: string,
    readonly token: number,
  ) {
    super(`fencing token ${token} for "${key}" is stale: a newer lock holder has written since, so this write is refused`);
  }
}
