export interface PollOptions {
  /** Default 20 s. */
  timeoutMs?: number;
  /** The gap between two probes; default 100 ms. */
  intervalMs?: number;
  /** Above `intervalMs`, the gap doubles after each probe up to this, so a long wait asks less often. */
  maxIntervalMs?: number;
  /**
   * A probe that throws counts as "not yet" (a service still starting, a restart under test), and the
   * timeout names the last error; by default an error ends the wait.
   */
  retryErrors?: boolean;
}

/** A gap that starts short, for what is usually quick, and grows so a slow platform is not hammered. */
export const BACKOFF = { intervalMs: 10, maxIntervalMs: 250 } as const;

/**
 * Probes until it returns a value (anything but `undefined` or `false`) and returns that value;
 * after `timeoutMs` throws `timed out after <ms> ms waiting for <what>`. A probe that throws ends the
 * wait, unless `retryErrors`.
 */
export async function poll<T>(what: string, probe: () => Promise<T | false | undefined> | T | false | undefined, options: PollOptions = {}): Promise<T> {
  const { timeoutMs = 20_000, intervalMs = 100, maxIntervalMs = intervalMs, retryErrors = false } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let gap = intervalMs; ; gap = Math.min(gap * 2, maxIntervalMs)) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      if (!retryErrors) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, gap));
  }
}
