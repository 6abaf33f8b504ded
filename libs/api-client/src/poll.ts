export interface PollOptions {
  /** Default 20 s. */
  timeoutMs?: number;
  /** The gap between two probes; default 100 ms. */
  intervalMs?: number;
  /** Above `intervalMs`, the gap doubles after each probe up to this, so a long wait asks less often. */
  maxIntervalMs?: number;
}

/** A gap that starts short, for what is usually quick, and grows so a slow platform is not hammered. */
export const BACKOFF = { intervalMs: 10, maxIntervalMs: 250 } as const;

/**
 * Probes until it returns a value (anything but `undefined` or `false`) and returns that value;
 * after `timeoutMs` throws `timed out after <ms> ms waiting for <what>`. A probe that throws ends the wait.
 */
export async function poll<T>(what: string, probe: () => Promise<T | false | undefined>, options: PollOptions = {}): Promise<T> {
  const { timeoutMs = 20_000, intervalMs = 100, maxIntervalMs = intervalMs } = options;
  const deadline = Date.now() + timeoutMs;
  for (let gap = intervalMs; ; gap = Math.min(gap * 2, maxIntervalMs)) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, gap));
  }
}
