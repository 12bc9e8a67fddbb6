/**
 * What several instances of one bridge share besides the store, when the store can offer it (the
 * Redis store does; the file store, one process by construction, does not). One instance is active
 * (it holds the store's lock: the directory, the outbox, feeds, alert sweeps, WeChat); every
 * instance, active or standing by, may hold work by lease (QQ gateway shards) and hand what it
 * receives to the active one through a queue.
 */
export interface Cluster {
  /** This process, as leases name their holder (`host:pid:random`). */
  readonly instance: string;
  /** Connect; the store's own `open` may still wait for its lock afterwards. */
  open(): Promise<void>;
  close(): Promise<void>;
  /**
   * Take or keep the leases named, for `ttlMs` from now; returns those this instance holds
   * afterwards, each with its fencing token (a number that grows with every new holder).
   */
  hold(names: readonly string[], ttlMs: number): Promise<ReadonlyMap<string, number>>;
  /** Give leases back at once (a clean stop, or handing work to another instance). */
  release(names: readonly string[]): Promise<void>;
  /** Instances alive now (each counts while it renews its presence, which {@link hold} does). */
  members(): Promise<number>;
  /**
   * Wait for one of `perWindow` starts allowed in any `windowMs` under this name, across every
   * instance (the QQ gateway's `max_concurrency` sessions per 5 s).
   */
  startSlot(name: string, perWindow: number, windowMs: number, signal?: AbortSignal): Promise<void>;
  /** A small shared value with a lifetime (a gateway session to resume), or `undefined`. */
  getState<T>(name: string): Promise<T | undefined>;
  setState(name: string, value: unknown, ttlMs: number): Promise<void>;
  /** The durable queue of that name (what standing-by instances receive, for the active one). */
  queue(name: string): ClusterQueue;
}

/** A durable queue every instance may add to and the active one consumes. */
export interface ClusterQueue {
  /** Resolves once the record is stored (it survives this process). */
  add(record: unknown): Promise<void>;
  /**
   * Hand records to `handle` as they come (calls start in order without waiting for each other, so
   * `handle` keeps order itself), each removed once its `handle` resolved, so that one in hand when
   * this instance dies is handed to the next consumer, marked `redelivered`. One that failed is
   * retried after a backoff. Returns a stop function.
   */
  consume(handle: QueueHandler): () => Promise<void>;
}

/** What a {@link ClusterQueue} consumer is handed: a record, and whether a consumer that died had it already. */
export type QueueHandler = (record: unknown, info: { readonly redelivered: boolean }) => Promise<void>;
