import type { Lane } from '../util/Lanes.js';

/** A lane that keeps the times of its last sends for {@link ChatPace}. */
export interface PacedLane extends Lane<unknown> {
  /** Ring of the last `burst` send times (performance.now()), oldest at `paceNext`. */
  paceLog: Float64Array | undefined;
  paceNext: number;
}

/**
 * One chat's send pace: at most `burst` sends in any window of `burst / ratePerSecond` seconds,
 * counted on the chat's own lane. A sliding window rather than a token bucket, because a bucket
 * of 5 at 5/s lets 10 sends through within one second, which a platform that counts "5 a second
 * per chat" refuses.
 */
export class ChatPace {
  readonly windowMs: number;

  /**
   * @param ratePerSecond sustained sends per second per chat.
   * @param burst sends allowed at once.
   * @throws RangeError for a rate that is not positive or a burst below 1.
   */
  constructor(
    readonly ratePerSecond: number,
    readonly burst = 1,
  ) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RangeError(`per-chat rate must be a positive number (got ${ratePerSecond})`);
    if (!Number.isInteger(burst) || burst < 1) throw new RangeError(`per-chat burst must be a whole number of at least 1 (got ${burst})`);
    // 2% under the limit: requests can reach the platform closer together than they left.
    this.windowMs = ((burst / ratePerSecond) * 1000) * 1.02;
  }

  /**
   * Count a send on `lane` now, if its pace allows one.
   * @returns 0 when the send may go (and is counted), else the milliseconds to wait before asking again.
   */
  take(lane: PacedLane, now = performance.now()): number {
    const log = (lane.paceLog ??= new Float64Array(this.burst).fill(-Infinity));
    const oldest = log[lane.paceNext]!;
    const wait = oldest + this.windowMs - now;
    if (wait > 0) return Math.ceil(wait);
    log[lane.paceNext] = now;
    lane.paceNext = (lane.paceNext + 1) % this.burst;
    // The lane must outlive an idle sweep while its sends still count.
    lane.holdUntil = now + this.windowMs;
    return 0;
  }
}
