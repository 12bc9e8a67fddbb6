import { Fifo } from './Fifo.js';

/** Limits how many async tasks run at once; waiters are served first come first served. */
export class Semaphore {
  private available: number;
  private readonly waiters = new Fifo<() => void>();

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`semaphore capacity must be at least 1 (got ${capacity})`);
    this.available = capacity;
  }

  /** Tasks running now. */
  get inUse(): number {
    return this.capacity - this.available;
  }

  /** Run `fn` once a slot is free. */
  async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.available > 0) this.available--;
    else await new Promise<void>((resolve) => this.waiters.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.waiters.shift();
      if (next) next();
      else this.available++;
    }
  }
}
