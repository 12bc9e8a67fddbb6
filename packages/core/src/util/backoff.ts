/** Options for {@link backoffDelay}. */
export interface BackoffOptions {
  /** Delay scale of the first retry. */
  readonly baseMs: number;
  /** Upper bound of any delay. */
  readonly maxMs: number;
  /** Source of randomness in [0, 1); injectable for tests. @defaultValue Math.random */
  readonly random?: () => number;
}

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(max, base·2^(attempt-1))].
 * Full jitter spreads reconnect storms best (AWS Architecture Blog, "Exponential Backoff And Jitter").
 * @param attempt 1 for the first retry.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const exp = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.floor((options.random ?? Math.random)() * exp);
}
