import type { Priority } from '../domain/messages.js';

const order: Record<Priority, number> = { high: 0, normal: 1, low: 2 };

interface Waiter {
  readonly priority: number;
  readonly seq: number;
  readonly resolve: (granted: boolean) => void;
  readonly signal: AbortSignal | undefined;
}

/**
 * A token bucket shared by every destination of one adapter. Waiters are served by priority,
 * then first come first served.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;

  /**
   * @param ratePerSecond sustained rate; `Infinity` disables limiting.
   * @param burst tokens available at once.
   */
  constructor(
    private readonly ratePerSecond: number,
    private readonly burst = 1,
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError(`send rate must be positive (got ${ratePerSecond})`);
    if (!(burst >= 1)) throw new RangeError(`burst must be at least 1 (got ${burst})`);
    this.tokens = burst;
    this.last = Date.now();
  }

  /** True when the limiter never makes anyone wait. */
  get unlimited(): boolean {
    return this.ratePerSecond === Infinity;
  }

  /** Wait for a send slot. Resolves false when `signal` aborts first. */
  acquire(priority: Priority = 'normal', signal?: AbortSignal): Promise<boolean> {
    if (this.ratePerSecond === Infinity) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    this.refill();
    if (this.waiters.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const waiter: Waiter = { priority: order[priority], seq: this.seq++, resolve, signal };
      this.waiters.push(waiter);
      this.waiters.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
      signal?.addEventListener(
        'abort',
        () => {
          const at = this.waiters.indexOf(waiter);
          if (at !== -1) this.waiters.splice(at, 1);
          resolve(false);
        },
        { once: true },
      );
      this.schedule();
    });
  }

  /** Release every waiter (as not granted) and stop the timer. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const waiter of this.waiters.splice(0)) waiter.resolve(false);
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
  }

  private schedule(): void {
    if (this.timer || this.waiters.length === 0) return;
    const wait = Math.max(0, Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refill();
      while (this.waiters.length > 0 && this.tokens >= 1) {
        this.tokens -= 1;
        this.waiters.shift()!.resolve(true);
      }
      this.schedule();
    }, wait);
  }
}
