/** What the outbox has done for one platform since it started: counts only ever grow. */
export interface PlatformCounts {
  /** Messages accepted (a duplicate of a pending one is not). */
  accepted: number;
  delivered: number;
  /** Failed for good (also those given up on after the retry period). */
  failed: number;
  /** Taken back by their sender before they went out. */
  withdrawn: number;
  /** Send attempts that failed transiently and will be tried again. */
  retried: number;
  /** Messages the platform accepts only later (outside a QQ reply window). */
  deferred: number;
  /** Times a destination began to wait for a reply window. */
  windowWaits: number;
}

/**
 * Running totals per platform, kept as plain numbers so that counting costs a property increment
 * on the delivery path; whoever reports them (the operations server's `/metrics`) reads them when asked.
 */
export class OutboxCounters {
  private readonly byPlatform = new Map<string, PlatformCounts>();

  /** The totals of `platform`, created at zero on first use. */
  of(platform: string): PlatformCounts {
    let counts = this.byPlatform.get(platform);
    if (!counts) {
      counts = { accepted: 0, delivered: 0, failed: 0, withdrawn: 0, retried: 0, deferred: 0, windowWaits: 0 };
      this.byPlatform.set(platform, counts);
    }
    return counts;
  }

  /** Every platform seen so far, with a copy of its totals. */
  snapshot(): Map<string, Readonly<PlatformCounts>> {
    return new Map([...this.byPlatform].map(([platform, counts]) => [platform, { ...counts }]));
  }
}
