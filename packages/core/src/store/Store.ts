import type { Observable } from 'rxjs';
import type { Cluster } from './Cluster.js';

/**
 * The persistence port. Two shapes cover what the core keeps:
 * - documents: small values replaced whole and atomically (the user directory, relay state);
 * - journals: append-only record logs with occasional compaction (the outbox).
 *
 * A SQLite or Redis store implements the same two shapes (a key/value table and an ordered
 * log table, or keys and lists) and every caller stays unchanged.
 */
export interface Store {
  /** Open or create the store. Must be called before anything else. */
  open(): Promise<void>;
  /** Flush and release everything (locks included). */
  close(): Promise<void>;
  /** Read a document; `undefined` when it was never written. */
  get<T>(key: string): Promise<T | undefined>;
  /** Replace a document durably and atomically: after a crash either the old or the new value is read back. */
  put(key: string, value: unknown): Promise<void>;
  /** The journal of that name, created on first use. */
  journal(name: string): Journal;
  /** Resolves when the store is open and usable now (readiness probes); rejects saying why not. */
  check?(): Promise<void>;
  /**
   * Emits, with why, when this process may no longer write the store (another instance took it
   * over: the Redis store's lock). The bridge stops then.
   */
  readonly lost$?: Observable<string>;
  /** Emits, naming the active instance, when `open` starts waiting for it (a standby). */
  readonly standingBy$?: Observable<string>;
  /**
   * Present when several instances share this store (the Redis store): what they coordinate with
   * while one of them holds it. Usable before {@link open} resolves (a standby waits there).
   */
  readonly cluster?: Cluster | undefined;
}

/** Options of {@link Journal.append}. */
export interface AppendOptions {
  /** @defaultValue true */
  readonly durable?: boolean;
}

/** An append-only log of JSON records. */
export interface Journal {
  /**
   * Append records; concurrent appends keep call order. By default resolves once they would survive
   * a crash. With `durable: false` they are written in order but their flush to disk may wait for
   * the next durable append (or close): for records whose loss only means redoing work.
   */
  append(records: readonly unknown[], options?: AppendOptions): Promise<void>;
  /** Every record, oldest first. A torn final record (a crash mid-write) is skipped. */
  readAll(): Promise<unknown[]>;
  /**
   * Replace the whole journal atomically with the records `snapshot()` returns at the moment the
   * rewrite runs (after every append issued before this call).
   */
  compact(snapshot: () => readonly unknown[]): Promise<void>;
}
