import type { Address } from '../domain/address.js';
import type { Priority } from '../domain/messages.js';

/** A message the outbox has accepted; what the journal keeps until it is delivered or fails. */
export interface OutboxEntry {
  readonly id: string;
  readonly to: Address;
  /** The text, already split to the adapter's length limit. */
  readonly parts: readonly string[];
  readonly replyContext?: unknown;
  readonly priority: Priority;
  readonly dedupeKey?: string;
  readonly createdAt: number;
  readonly acceptedAt: number;
}

/** What {@link Outbox.enqueue} resolves to, once the message is persisted. */
export interface Accepted {
  readonly id: string;
  readonly parts: number;
  /** True when a pending message with the same dedupe key already covered this one. */
  readonly duplicate: boolean;
}

/** How a message ended, as a watcher of it hears (see {@link Outbox.watch}). */
export type FinalOutcome = 'delivered' | 'failed' | 'withdrawn';

/** Told once when a watched message ends. */
export type FinalWatcher = (id: string, outcome: FinalOutcome, reason?: string) => void;

/** Delivery progress and outcome of one message, on `deliveries$`. */
export interface DeliveryReport {
  readonly id: string;
  readonly to: Address;
  /**
   * `delivered`, `failed` and `withdrawn` (taken back by its sender before it went out) are final;
   * `retrying` and `deferred` may be followed by more reports.
   */
  readonly status: 'delivered' | 'failed' | 'withdrawn' | 'retrying' | 'deferred';
  readonly final: boolean;
  readonly reason?: string;
  /** Send attempts so far, over all parts. */
  readonly attempts: number;
  readonly parts: number;
  readonly at: number;
}

/**
 * Journal records: accepted (one message, or one text to many destinations), part progress, done
 * (one message with its outcome, or a batch of delivered ones).
 */
export type OutboxRecord =
  | { readonly t: 'a'; readonly e: OutboxEntry; readonly next?: number }
  | ({
      readonly t: 'm';
      /** Member ids; or, for members numbered in a row, `p` + (`s` + i) in base 36 (see `Pending.seq`). */
      readonly ids?: readonly string[];
      readonly p?: string;
      readonly s?: number;
      /**
       * Destinations, one per id: `kind:id` strings on {@link platform} (half the serialising work of
       * address objects), or address objects as journals written before that hold them.
       */
      readonly to: readonly (Address | string)[];
      readonly platform?: string;
    } & Omit<OutboxEntry, 'id' | 'to' | 'replyContext' | 'dedupeKey'>)
  | { readonly t: 'p'; readonly id: string; readonly next: number }
  | { readonly t: 'd'; readonly id: string; readonly ok: boolean; readonly reason?: string }
  /** Delivered: ids in full, and/or `p` + each of `s` in base 36. */
  | { readonly t: 'D'; readonly ids?: readonly string[]; readonly p?: string; readonly s?: readonly number[] };
