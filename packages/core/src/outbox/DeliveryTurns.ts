import { Fifo } from '../util/Fifo.js';

/**
 * Cooperative scheduling of sends. Sends that resolve at once (an in-memory adapter, a fast local
 * API) would run as one unbroken chain of microtasks across every lane, and socket reads, timers
 * and journal flushes would wait for all of it. After `budgetMs` of sends in one event-loop turn,
 * every further send waits, in order, for a later turn: the waiter (a lane) is parked here and
 * handed to `resume` then. Parking holds the waiter itself, not a promise and its resolver per
 * wait: under fan-out at full load most sends wait once.
 */
export class DeliveryTurns<W> {
  /** Sends begun; the clock is read every 64th. */
  private sends = 0;
  private turnStarted = 0;
  /** This turn's budget is spent: every send waits for the release, not only the one that found out. */
  private exhausted = false;
  private readonly waiters = new Fifo<W>();
  private releaseScheduled = false;
  private stopped = false;

  constructor(
    private readonly resume: (waiter: W) => void,
    private readonly budgetMs = 10,
    /** Waiters resumed per turn (each then sends until the turn's time is up). */
    private readonly wakeupsPerTurn = 4096,
  ) {}

  /**
   * Call before a send: true to go ahead now; false when the turn's budget is spent, and `waiter`
   * is parked, to be resumed in a later turn.
   */
  mayGo(waiter: W): boolean {
    if (!this.exhausted) {
      if (++this.sends % 64 !== 0 || !this.spent()) return true;
      this.exhausted = true;
    }
    this.waiters.push(waiter);
    this.scheduleRelease();
    return false;
  }

  /** Resume every parked waiter at the next release (the outbox is stopping; they will see that). */
  stop(): void {
    this.stopped = true;
  }

  private spent(): boolean {
    const now = performance.now();
    if (this.turnStarted === 0) {
      // The turn's clock starts with its first reading and ends with the turn.
      this.turnStarted = now;
      setImmediate(() => (this.turnStarted = 0));
    }
    return now - this.turnStarted >= this.budgetMs;
  }

  private scheduleRelease(): void {
    if (this.releaseScheduled) return;
    this.releaseScheduled = true;
    setImmediate(() => this.release());
  }

  private release(): void {
    this.releaseScheduled = false;
    this.turnStarted = 0;
    this.exhausted = false;
    const count = this.stopped ? this.waiters.length : Math.min(this.waiters.length, this.wakeupsPerTurn);
    for (let i = 0; i < count; i++) this.resume(this.waiters.shift()!);
    if (this.waiters.length > 0) this.scheduleRelease();
  }
}
