import type { Observable } from 'rxjs';
import type { DispatchOutcome } from '../commands/outcome.js';
import type { Cluster } from '../store/Cluster.js';
import type { Store } from '../store/Store.js';
import type { Address, Identity } from './address.js';
import type { InboundMessage, OutboundMessage, SendResult } from './messages.js';

/** Connection state an adapter reports on `status$`. */
export interface AdapterStatus {
  readonly adapter: string;
  readonly state: 'starting' | 'ready' | 'reconnecting' | 'stopped' | 'failed';
  readonly detail?: string;
  readonly at: number;
}

/** Platform limits the outbox respects. */
export interface AdapterLimits {
  /** Longest text the platform accepts in one message; longer text is split. */
  readonly maxTextLength: number;
  /** Sustained sends per second across the adapter; `Infinity` for none. */
  readonly sendRatePerSecond: number;
  /** Sends allowed in a burst above the sustained rate. @defaultValue 1 */
  readonly sendBurst?: number;
  /**
   * Each chat's own pace: at most `burst` sends in any `burst / ratePerSecond` seconds (QQ: 5 a
   * second per chat). Chats are paced apart, so one chat's backlog never holds up another.
   * @defaultValue no per-chat limit
   */
  readonly perChat?: { readonly ratePerSecond: number; readonly burst?: number };
  /**
   * When a notification was held for a chat (its send answered `deferred`) and more notifications
   * queued behind it, send them together as one message (joined by a blank line, within
   * `maxTextLength`) once the chat opens. For platforms where each send is scarce (QQ: five replies
   * per user message). Replies to a message (those with a `replyContext`) are never combined.
   * @defaultValue false
   */
  readonly combine?: boolean;
}

/** What the bridge hands an adapter when it starts it. */
export interface AdapterContext {
  /** The bridge's store, already open: adapters keep what must survive a restart here (dedupe ids…). */
  readonly store: Store;
  /** Present when several instances share the store: leases and the queue to the active instance. */
  readonly cluster?: Cluster;
  /** How each message handed on ended, by its id (an adapter that must know when a message is done). */
  readonly outcomes$?: Observable<DispatchOutcome>;
  /** The bridge's outbox: for what an adapter itself must tell someone (it leaves like every reply). */
  readonly enqueue?: (message: OutboundMessage) => Promise<unknown>;
}

/** One text part the outbox hands to an adapter. */
export interface SendRequest {
  /** Outbox id of the message, plus `#part` when it was split. Stable across retries and restarts. */
  readonly id: string;
  readonly to: Address;
  readonly text: string;
  readonly replyContext?: unknown;
  /** 1-based attempt counter for this part. */
  readonly attempt: number;
}

/**
 * A chat platform, as the core sees it. Adapters translate; they never decide who may do what,
 * and they never send on their own: everything outbound arrives through {@link Adapter.send}.
 */
export interface Adapter {
  /** The platform name used in addresses and identities. */
  readonly name: string;
  readonly limits: AdapterLimits;
  readonly inbound$: Observable<InboundMessage>;
  readonly status$: Observable<AdapterStatus>;
  /**
   * Emits a destination when the platform will accept messages for it again
   * (e.g. QQ: the user wrote, which opens a reply window). Deferred messages for it are retried.
   */
  readonly windows$?: Observable<Address>;
  /**
   * Emits an identity when what {@link addressFor} answers for it may have changed (QQ: the person
   * wrote one-to-one for the first time). Callers that cache addresses drop them.
   */
  readonly addressChanges$?: Observable<Identity>;
  /**
   * The chat where a message for this person reaches them directly, or `undefined` when the
   * platform offers none for that identity (QQ: a group member known only by a per-group id). Only
   * the adapter knows its platform's chat kinds; the core never guesses an address from an identity.
   */
  addressFor(identity: Identity): Address | undefined;
  start(context?: AdapterContext): Promise<void>;
  stop(): Promise<void>;
  /** Try to deliver one part. Throwing counts as a transient failure. */
  send(request: SendRequest): Promise<SendResult>;
}
