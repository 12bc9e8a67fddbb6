import { addressKey, type Address } from '../domain/address.js';

/**
 * Destinations parked until their platform opens a reply window: the adapter announces one on
 * `windows$`, or a recheck timer fires, or the outbox stops.
 */
export class WindowWaits {
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Retry pauses by platform, cut short when that platform's adapter becomes ready. */
  private readonly pauses = new Map<string, Set<() => void>>();

  constructor(
    private readonly recheckMs: number,
    /** Told the platform of each wait that begins (for the outbox's counts). */
    private readonly began: (platform: string) => void = () => undefined,
  ) {}

  /** Resolves when a window opens for the destination with lane key `key`, at the recheck, or on abort. */
  wait(key: string, signal: AbortSignal): Promise<void> {
    this.began(key.slice(0, key.indexOf(':')));
    return park(this.waiters, key, this.recheckMs, signal);
  }

  /** Destinations waiting for a window now, per platform. */
  waitingByPlatform(): Map<string, number> {
    const out = new Map<string, number>();
    for (const key of this.waiters.keys()) {
      const platform = key.slice(0, key.indexOf(':'));
      out.set(platform, (out.get(platform) ?? 0) + 1);
    }
    return out;
  }

  /** A window opened for `address`. */
  wake(address: Address): void {
    for (const wake of [...(this.waiters.get(addressKey(address)) ?? [])]) wake();
  }

  /**
   * Wait `ms` before retrying a send to `platform`, or less: until its adapter becomes ready (a
   * WeChat login), or the outbox stops.
   */
  pause(platform: string, ms: number, signal: AbortSignal): Promise<void> {
    return park(this.pauses, platform, ms, signal);
  }

  /** `platform`'s adapter became ready: every chat of it waiting for a window or a retry tries now. */
  ready(platform: string): void {
    const prefix = `${platform}:`;
    for (const [key, waiters] of [...this.waiters]) if (key.startsWith(prefix)) for (const wake of [...waiters]) wake();
    for (const wake of [...(this.pauses.get(platform) ?? [])]) wake();
  }
}

/**
 * Wait under `key` in `parked` until one of its wakers is called, `ms` pass, or `signal` aborts,
 * whichever comes first; the entry is removed however it ends.
 */
function park(parked: Map<string, Set<() => void>>, key: string, ms: number, signal: AbortSignal): Promise<void> {
  // A wait begun after stop() began: abort listeners added now would never fire.
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const wakers = parked.get(key) ?? new Set();
    parked.set(key, wakers);
    const done = (): void => {
      clearTimeout(timer);
      wakers.delete(done);
      if (wakers.size === 0) parked.delete(key);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    wakers.add(done);
    signal.addEventListener('abort', done, { once: true });
  });
}
