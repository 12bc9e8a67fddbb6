import { addressKey, type Address } from '../domain/address.js';

/**
 * Destinations parked until their platform opens a reply window: the adapter announces one on
 * `windows$`, or a recheck timer fires, or the outbox stops.
 */
export class WindowWaits {
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(private readonly recheckMs: number) {}

  /** Resolves when a window opens for the destination with lane key `key`, at the recheck, or on abort. */
  wait(key: string, signal: AbortSignal): Promise<void> {
    // A send answered "deferred" after stop() began: abort listeners added now would never fire.
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.waiters.get(key) ?? new Set();
      this.waiters.set(key, waiters);
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0) this.waiters.delete(key);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, this.recheckMs);
      waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** A window opened for `address`. */
  wake(address: Address): void {
    for (const wake of [...(this.waiters.get(addressKey(address)) ?? [])]) wake();
  }
}
