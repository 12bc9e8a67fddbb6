import { Fifo } from './Fifo.js';

/** One key's queue, and whether a loop is draining it. */
export class Lane<T> extends Fifo<T> {
  running = false;
  /** Dropped from its {@link Lanes} by a sweep; {@link Lanes.current} then finds the key's lane. */
  detached = false;
  /** performance.now() before which an idle sweep keeps this lane (its owner still counts on its state). */
  holdUntil = 0;

  constructor(readonly key: string) {
    super();
  }
}

/**
 * Queues by key (a chat, a sender) for work that goes in order per key while keys proceed
 * independently: the caller runs one loop per lane while it has items.
 *
 * A lane left idle stays until the next sweep (at most one per `sweepMs`) instead of being deleted
 * at once: a map entry made and deleted for nearly every item churns the map, and V8's rebuilt hash
 * tables then keep lanes, and what they held, alive through young-generation collections (see
 * {@link LiveList}). Measured in the dispatcher benchmark: ~140 KB less copied per scavenge for the
 * outbox's lanes alone.
 */
export class Lanes<T, L extends Lane<T> = Lane<T>> {
  private readonly lanes = new Map<string, L>();
  private lastSweep = 0;

  /** @param make makes a lane (owners that keep per-lane state pass a subclass). */
  constructor(
    private readonly sweepMs = 10_000,
    private readonly make: (key: string) => L = (key) => new Lane<T>(key) as L,
  ) {}

  /** Lanes kept, idle ones included. */
  get size(): number {
    return this.lanes.size;
  }

  /**
   * Queue `item` under `key`.
   * @returns the lane when it was idle, now marked running: the caller starts its loop. Otherwise undefined.
   */
  push(key: string, item: T): L | undefined {
    return this.pushTo(this.lane(key), item);
  }

  /** The lane of `key`, made (idle and empty) when there is none. */
  lane(key: string): L {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = this.make(key);
      this.lanes.set(key, lane);
    }
    return lane;
  }

  /** The lane of `key` if there is one (without making one). */
  peek(key: string): L | undefined {
    return this.lanes.get(key);
  }

  /** `lane` itself, or its key's lane when a sweep has dropped it since it was looked up. */
  current(lane: L): L {
    return lane.detached ? this.lane(lane.key) : lane;
  }

  /**
   * Queue `item` on a lane from {@link lane}, saving the lookup of {@link push} (on the
   * {@link current} one).
   * @returns as {@link push}.
   */
  pushTo(lane: L, item: T): L | undefined {
    lane = this.current(lane);
    lane.push(item);
    if (lane.running) return undefined;
    lane.running = true;
    return lane;
  }

  /** The loop of `lane` ended (it is empty, or its owner is stopping). */
  release(lane: L): void {
    lane.running = false;
    const now = performance.now();
    if (now - this.lastSweep < this.sweepMs) return;
    this.lastSweep = now;
    for (const [key, idle] of this.lanes) {
      if (idle.running || idle.length > 0 || idle.holdUntil > now) continue;
      idle.detached = true;
      this.lanes.delete(key);
    }
  }
}
