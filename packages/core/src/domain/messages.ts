import type { Address, Identity } from './address.js';

/** A message received by an adapter, translated to the core's shape. */
export interface InboundMessage {
  /** Platform message id; adapters use it to drop duplicates. */
  readonly id: string;
  readonly platform: string;
  readonly from: Identity & { readonly name?: string };
  /**
   * Weaker identities of the same sender, tried in order when `from` matches no user: e.g. WeChat's
   * `alias:<remark>` and `name:<display name>` on puppets whose ids change at every login.
   */
  readonly alternates?: readonly Identity[];
  /** Where an answer to this message goes. */
  readonly chat: Address;
  /** The text with platform mention markup already removed by the adapter where it can. */
  readonly text: string;
  /** True when the bot was mentioned (group chats) or the chat is a direct one. */
  readonly mentionsBot: boolean;
  /** Epoch milliseconds. */
  readonly receivedAt: number;
  /** Opaque data the adapter needs to answer passively (e.g. QQ `msg_id`). Must be JSON-serialisable. */
  readonly replyContext?: unknown;
  /**
   * The message this one replies to, where the platform says (a QQ message reference, a WeChat
   * quote): its platform id and, when the adapter knows it, its text (e.g. the bot's own page, so
   * that a reply "ack" can take the alert it quotes).
   */
  readonly quoted?: { readonly id?: string; readonly text?: string };
}

/** Relative urgency of an outbound message; `high` takes the next send slot first. */
export type Priority = 'low' | 'normal' | 'high';

/** What the core asks the outbox to send. */
export interface OutboundMessage {
  readonly to: Address;
  readonly text: string;
  readonly replyContext?: unknown;
  /** @defaultValue `'normal'` */
  readonly priority?: Priority;
  /** While a message with the same key is still pending for the same address, a new one is not added. */
  readonly dedupeKey?: string;
  /** Epoch milliseconds; set by the outbox when absent. */
  readonly createdAt?: number;
}

/** The outcome of one send attempt as the adapter reports it. */
export type SendResult =
  | { readonly type: 'delivered'; readonly platformId?: string }
  /** Transient: rate limited, network fault, platform busy. Try again after `afterMs` when given. */
  | { readonly type: 'retry'; readonly afterMs?: number; readonly reason: string }
  /** The platform accepts it only later (e.g. no open reply window); hold it until the adapter announces a window. */
  | { readonly type: 'deferred'; readonly reason: string }
  /** Permanent; retrying will not help. */
  | { readonly type: 'failed'; readonly reason: string };
