import { Fifo } from '../util/Fifo.js';

/**
 * Cooperative scheduling of sends. Sends that resolve at once (an in-memory adapter, a fast local
 * API) would run as one unbroken chain of microtasks across every lane, and socket reads, timers
 * and journal flushes would wait for all of it. After `budgetMs` of sends in one event-loop turn,
 * lanes wait here, in order, for a later turn.
 */
export class DeliveryTurns {
  /** Sends begun; the clock is read every 64th. */
  private sends = 0;
  private turnStarted = 0;
  /** This turn's budget is spent: every send waits for the release, not only the one that found out. */
  private exhausted = false;
  private readonly waiters = new Fifo<() => void>();
  private releaseScheduled = false;
  private stopped = false;

  constructor(
    private readonly budgetMs = 10,
    /** Lanes resumed per turn after a wait (each then sends until the turn's time is up). */
    private readonly wakeupsPerTurn = 4096,
  ) {}

  /** Call before a send: `undefined` to go ahead now, or a promise that resolves in a later turn. */
  beforeSend(): Promise<void> | undefined {
    if (!this.exhausted) {
      if (++this.sends % 64 !== 0 || !this.spent()) return undefined;
      this.exhausted = true;
    }
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.scheduleRelease();
    });
  }

  /** Let every waiting lane go at the next release (the outbox is stopping; they will see that). */
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
    for (let i = 0; i < count; i++) this.waiters.shift()!();
    if (this.waiters.length > 0) this.scheduleRelease();
  }
}
