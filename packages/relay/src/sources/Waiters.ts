/** One answer waited for. */
interface Waiter<T> {
  readonly accepts: (frame: unknown) => T | undefined;
  readonly resolve: (value: T) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Answers a source waits for on its connection (a Home Assistant `result`, a feed's ack frame):
 * each waiter takes the first frame it accepts, or fails at its timeout or when the connection
 * drops. Frames no waiter accepts go on to the source's own handling.
 */
export class Waiters {
  private readonly waiting = new Set<Waiter<unknown>>();

  get size(): number {
    return this.waiting.size;
  }

  /**
   * Wait for a frame `accepts` maps to a value.
   * @param timeoutText the error when none comes within `timeoutMs`.
   */
  wait<T>(accepts: (frame: unknown) => T | undefined, timeoutMs: number, timeoutText: string, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(timeoutText)), timeoutMs);
      timer.unref();
      const onAbort = (): void => finish(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      const waiter: Waiter<T> = {
        accepts,
        resolve: (value) => finish(undefined, value),
        reject: (error) => finish(error),
        timer,
      };
      const finish = (error: Error | undefined, value?: T): void => {
        if (!this.waiting.delete(waiter as Waiter<unknown>)) return;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(value as T);
      };
      this.waiting.add(waiter as Waiter<unknown>);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Hand a frame to the first waiter that accepts it. @returns whether one did. */
  offer(frame: unknown): boolean {
    for (const waiter of this.waiting) {
      const value = waiter.accepts(frame);
      if (value !== undefined) {
        waiter.resolve(value);
        return true;
      }
    }
    return false;
  }

  /** Fail every waiter (the connection dropped or the source stops). */
  failAll(text: string): void {
    for (const waiter of [...this.waiting]) waiter.reject(new Error(text));
  }
}
