import type { Linked, LiveList } from '../util/LiveList.js';

/** What {@link Deadlines} watches: a time (ms since the epoch) and what to do when it passes. */
export interface Expiring {
  readonly deadline: number;
  expire(): void;
}

/**
 * One timer for the deadlines of every item in a list, instead of a timer per item: the dispatcher
 * runs thousands of commands a second, each with a timeout that almost never fires. The timer is
 * armed for the earliest deadline; when it fires it expires what is due and re-arms for the next.
 * While the list is empty the timer does not keep the process alive.
 */
export class Deadlines<T extends Expiring & Linked<T>> {
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;

  constructor(private readonly items: LiveList<T>) {}

  /** Add `item` to the list and watch its deadline. */
  add(item: T): void {
    this.items.add(item);
    if (item.deadline < this.armedFor) this.arm(item.deadline);
    else if (this.items.size === 1) this.timer?.ref();
  }

  /** Take `item` off the list. */
  delete(item: T): void {
    this.items.delete(item);
    if (this.items.size === 0) this.timer?.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    this.armedFor = at;
    this.timer = setTimeout(() => this.sweep(), Math.max(0, at - Date.now()));
    if (this.items.size === 0) this.timer.unref();
  }

  private sweep(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = Date.now();
    let next = Infinity;
    // Expiring settles a promise; nothing leaves the list during this walk.
    for (const item of this.items) {
      if (item.deadline <= now) item.expire();
      else if (item.deadline < next) next = item.deadline;
    }
    if (next < Infinity) this.arm(next);
  }
}
