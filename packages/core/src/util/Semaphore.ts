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
  use<T>(fn: () => Promise<T>): Promise<T> {
    // Not an async function: with a slot free (the usual case) this adds one promise, not three.
    if (this.available > 0) {
      this.available--;
      return this.hold(fn);
    }
    return new Promise<void>((resolve) => this.waiters.push(resolve)).then(() => this.hold(fn));
  }

  /** Run `fn` in a slot already taken, and pass the slot on when it settles. */
  private hold<T>(fn: () => Promise<T>): Promise<T> {
    let running: Promise<T>;
    try {
      running = fn();
    } catch (error) {
      this.release();
      return Promise.reject(error as Error);
    }
    return running.finally(this.release);
  }

  private readonly release = (): void => {
    const next = this.waiters.shift();
    if (next) next();
    else this.available++;
  };
}
