import type { Journal } from './Store.js';

/** Options of {@link DedupeLog}. */
export interface DedupeLogOptions {
  /** How long an id is remembered. */
  readonly maxAgeMs: number;
  /** Ids remembered at most; past this the oldest are forgotten first. */
  readonly maxSize: number;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

interface SeenRecord {
  /** The id. */
  readonly i: string;
  /** Epoch ms it was first seen. */
  readonly t: number;
}

/**
 * Ids already handled (inbound events, webhook deliveries), remembered in a journal so that a
 * replay after a restart is still recognised: bounded by age and by count, compacted as it goes.
 * {@link admit} answers at once for an id it knows, and otherwise after the id is durable.
 */
export class DedupeLog {
  private readonly seen = new Map<string, number>();
  private readonly now: () => number;
  private sinceCompaction = 0;
  private compacting: Promise<void> | undefined;

  /** @throws RangeError when the age or the size is not positive. */
  constructor(
    private readonly journal: Journal,
    private readonly options: DedupeLogOptions,
  ) {
    if (!(options.maxAgeMs > 0)) throw new RangeError(`maxAgeMs must be positive (got ${options.maxAgeMs})`);
    if (!(options.maxSize >= 1)) throw new RangeError(`maxSize must be at least 1 (got ${options.maxSize})`);
    this.now = options.now ?? Date.now;
  }

  /** Ids remembered now. */
  get size(): number {
    return this.seen.size;
  }

  /** Read what earlier runs remembered (and drop what is too old). */
  async load(): Promise<void> {
    for (const record of (await this.journal.readAll()) as SeenRecord[]) {
      if (typeof record?.i === 'string' && typeof record.t === 'number') this.remember(record.i, record.t);
    }
    this.prune();
  }

  /** True when `id` was seen within the age limit. */
  has(id: string): boolean {
    const at = this.seen.get(id);
    return at !== undefined && this.now() - at <= this.options.maxAgeMs;
  }

  /**
   * Admit `id` once: false at once when it was seen already; otherwise it is remembered and the
   * promise resolves true once that is durable. If the journal fails, the id is forgotten again
   * (so a retry of the same event is not refused) and the error is thrown.
   */
  async admit(id: string): Promise<boolean> {
    if (this.has(id)) return false;
    const t = this.now();
    this.remember(id, t);
    try {
      await this.journal.append([{ i: id, t } satisfies SeenRecord]);
    } catch (error) {
      this.seen.delete(id);
      throw error;
    }
    if (++this.sinceCompaction >= Math.max(1000, this.seen.size)) this.compact();
    return true;
  }

  /** Wait for a compaction under way (tests, shutdown). */
  async settled(): Promise<void> {
    await this.compacting;
  }

  private remember(id: string, t: number): void {
    this.seen.delete(id);
    this.seen.set(id, t);
    if (this.seen.size > this.options.maxSize) this.seen.delete(this.seen.keys().next().value!);
  }

  /** Forget ids older than the age limit; the map is in the order ids were seen. */
  private prune(): void {
    const oldest = this.now() - this.options.maxAgeMs;
    for (const [id, t] of this.seen) {
      if (t >= oldest) break;
      this.seen.delete(id);
    }
  }

  private compact(): void {
    if (this.compacting) return;
    this.sinceCompaction = 0;
    this.prune();
    this.compacting = this.journal
      .compact(() => Array.from(this.seen, ([i, t]): SeenRecord => ({ i, t })))
      .catch(() => {
        // Compaction is housekeeping: the journal stays as it was and the next one tries again.
      })
      .finally(() => (this.compacting = undefined));
  }
}
