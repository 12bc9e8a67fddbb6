/**
 * Runs async work one at a time per key, in the order it was asked for; different keys run concurrently.
 * The first job of an idle key starts at once (no extra turn), later ones start when the one before settles,
 * whether it resolved or failed. Keys with nothing running or waiting take no memory.
 */
export class KeyedSerial {
  /** Per held key: those waiting for it, in order. */
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

  /** Keys held now. */
  get busy(): number {
    return this.waiting.size;
  }

  /** Run `job` when the key's turn comes, and give the key on once it settles. */
  async run<T>(key: string, job: () => Promise<T>): Promise<T> {
    if (!this.tryTake(key)) await this.turn(key);
    try {
      return await job();
    } finally {
      this.release(key);
    }
  }
}
