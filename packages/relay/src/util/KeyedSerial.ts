/**
 * Runs async work one at a time per key, in the order it was asked for; different keys run concurrently.
 * The first job of an idle key starts at once (no extra turn), later ones start when the one before settles,
 * whether it resolved or failed. Keys with nothing running or waiting take no memory.
 */
export class KeyedSerial {
  /** Per busy key: the jobs waiting behind the running one. */
  private readonly waiting = new Map<string, (() => void)[]>();

  /** Take the key if nobody holds it (true); otherwise await {@link turn}. Give it back with {@link release}. */
  tryTake(key: string): boolean {
    if (this.waiting.has(key)) return false;
    this.waiting.set(key, []);
    return true;
  }

  /** Wait for a held key: resolves when the key is the caller's (in the order asked). */
  turn(key: string): Promise<void> {
    const queue = this.waiting.get(key);
    if (queue === undefined) {
      this.waiting.set(key, []);
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => queue.push(resolve));
  }

  /** Give a key back: to the next in line, or free. */
  release(key: string): void {
    const queue = this.waiting.get(key);
    if (queue === undefined) return;
    const next = queue.shift();
    if (next) next();
    else this.waiting.delete(key);
  }

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const queue = this.waiting.get(key);
    if (queue === undefined) {
      this.waiting.set(key, []);
      return this.start(key, job);
    }
    return new Promise<T>((resolve, reject) => {
      queue.push(() => {
        this.start(key, job).then(resolve, reject);
      });
    });
  }

  /** Keys with a job running. */
  get busy(): number {
    return this.waiting.size;
  }

  private start<T>(key: string, job: () => Promise<T>): Promise<T> {
    let running: Promise<T>;
    try {
      running = job();
    } catch (error) {
      running = Promise.reject(error as Error);
    }
    return running.finally(() => {
      const queue = this.waiting.get(key)!;
      const next = queue.shift();
      if (next) next();
      else this.waiting.delete(key);
    });
  }
}
