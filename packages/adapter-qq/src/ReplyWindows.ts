import { createHash } from 'node:crypto';
import { addressKey, type Address } from '@switchboard/core';
import type { WindowOpening } from './decode.js';

/** Options of {@link ReplyWindows}. */
export interface ReplyWindowOptions {
  /** Groups, guild channels and guild DMs: 5 minutes. */
  readonly groupTtlMs?: number;
  /** One-to-one chats: 60 minutes. */
  readonly c2cTtlMs?: number;
  /** Replies per message id. @defaultValue 5 */
  readonly maxReplies?: number;
  /** Safety margin before expiry: a reply sent this close to the end may arrive too late. @defaultValue 5000 */
  readonly marginMs?: number;
  /** Windows kept per chat; the oldest (which expire first) go beyond this. @defaultValue 64 */
  readonly perChat?: number;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

/** The message a reply answers, as the adapter put it in the inbound message's `replyContext`. */
export interface ReplyTarget {
  readonly msgId: string;
  /** Epoch ms the platform stamped the message (lets a window be taken up again after a restart). */
  readonly at?: number;
}

/** What one send spends: a window's id and a msg_seq never used before for it. */
export interface ReplyTicket {
  readonly msgId?: string;
  readonly eventId?: string;
  readonly seq: number;
  /**
   * The seq comes from the send's own id (see {@link stableSeq}): the same part sent again through the
   * same window (a retry, or another process after a crash) carries the same seq, so a 40054005
   * refusal means the platform has it already.
   */
  readonly stable?: boolean;
  /**
   * Set when a reply could not use its own message's window and took another of the chat's: why
   * (the adapter logs it at debug level).
   */
  readonly fallback?: 'spent' | 'expired' | 'unknown';
  /** @internal the window spent, for refund and close */
  readonly window: OpenWindow;
}

/** @internal One open window, as {@link ReplyWindows} keeps it. */
export interface OpenWindow {
  /** The msg_id, or the event_id of a window event (friend added, robot added to a group…). */
  readonly id: string;
  readonly isEvent: boolean;
  readonly expiresAt: number;
  used: number;
  nextSeq: number;
  /** A reply to this very message went out: what is left may serve notifications to the last one. */
  answered: boolean;
}

/**
 * Since 2025-04-21 the platform accepts only passive replies: a msg_id (or event_id) from that chat,
 * within 5 minutes (groups, guilds) or 60 minutes (C2C), at most 5 replies each, every reply with a
 * msg_seq not used before for that id (a repeat is refused with 40054005).
 *
 * This keeps every open window of every chat, by id. A reply spends its own message's window;
 * only when that one is spent or expired does it take another open window of the same chat. A
 * notification (no message of its own) takes the freshest window with a reply to spare, never the
 * last reply of a message that has not been answered yet.
 */
export class ReplyWindows {
  private readonly chats = new Map<string, Map<string, OpenWindow>>();
  private readonly groupTtl: number;
  private readonly c2cTtl: number;
  private readonly maxReplies: number;
  private readonly margin: number;
  private readonly perChat: number;
  private readonly now: () => number;
  private opened = 0;

  constructor(options: ReplyWindowOptions = {}) {
    this.groupTtl = options.groupTtlMs ?? 5 * 60_000;
    this.c2cTtl = options.c2cTtlMs ?? 60 * 60_000;
    this.maxReplies = options.maxReplies ?? 5;
    this.margin = options.marginMs ?? 5000;
    this.perChat = options.perChat ?? 64;
    this.now = options.now ?? Date.now;
  }

  /** Record a reply chance. @returns true when it opened a window that can be used now. */
  open(opening: WindowOpening): boolean {
    const id = opening.msgId ?? opening.eventId;
    if (!id) return false;
    const key = addressKey(opening.address);
    let chat = this.chats.get(key);
    if (!chat) {
      chat = new Map();
      this.chats.set(key, chat);
    }
    if (chat.has(id)) return false;
    const window: OpenWindow = { id, isEvent: !opening.msgId, expiresAt: opening.at + this.ttl(opening.address), used: 0, nextSeq: 1, answered: !opening.msgId };
    chat.set(id, window);
    if (chat.size > this.perChat) chat.delete(chat.keys().next().value!);
    if (++this.opened % 10_000 === 0) this.sweep();
    return this.usable(window);
  }

  /**
   * Spend one reply in the chat `to`: for a reply, its own message's window first; otherwise (or
   * when that one is spent or expired) the best other window of the chat. Undefined when none is usable.
   */
  take(to: Address, target?: ReplyTarget, sendId?: string): ReplyTicket | undefined {
    const key = addressKey(to);
    let chat = this.chats.get(key);
    let fallback: ReplyTicket['fallback'];
    if (target) {
      let own = chat?.get(target.msgId);
      if (!own && target.at !== undefined) {
        // Known from the journal but not to this process (a restart): the window is still the platform's.
        this.open({ address: to, msgId: target.msgId, at: target.at });
        chat = this.chats.get(key);
        own = chat?.get(target.msgId);
      }
      if (own && this.usable(own)) {
        own.answered = true;
        return this.spend(own, undefined, sendId);
      }
      fallback = !own ? 'unknown' : own.used >= this.maxReplies ? 'spent' : 'expired';
    }
    const best = chat && this.spare(chat);
    if (!best) {
      if (chat && chat.size === 0) this.chats.delete(key);
      return undefined;
    }
    return this.spend(best, fallback, sendId);
  }

  /** Replies left in the chat's open windows (or in one message's window). */
  remaining(address: Address, msgId?: string): number {
    const chat = this.chats.get(addressKey(address));
    if (!chat) return 0;
    let left = 0;
    for (const window of chat.values()) {
      if ((msgId === undefined || window.id === msgId) && this.usable(window)) left += this.maxReplies - window.used;
    }
    return left;
  }

  /** The platform refused the ticket's window (expired, or never valid): forget it. */
  close(to: Address, ticket: ReplyTicket): void {
    this.chats.get(addressKey(to))?.delete(ticket.window.id);
  }

  /**
   * The send did not go through (rate limit, 5xx, network, duplicate seq): give the reply back to
   * its window. The seq is not given back: it may have reached the platform, and a reused seq is refused.
   */
  refund(ticket: ReplyTicket): void {
    ticket.window.used = Math.max(0, ticket.window.used - 1);
  }

  private spend(window: OpenWindow, fallback: ReplyTicket['fallback'], sendId: string | undefined): ReplyTicket {
    window.used++;
    return {
      ...(window.isEvent ? { eventId: window.id } : { msgId: window.id }),
      ...(sendId === undefined ? { seq: window.nextSeq++ } : { seq: stableSeq(sendId, window.id), stable: true }),
      ...(fallback ? { fallback } : {}),
      window,
    };
  }

  /**
   * The freshest usable window with a reply to spare: a message not yet answered keeps its last
   * reply for its own answer. Expired windows are dropped on the way.
   */
  private spare(chat: Map<string, OpenWindow>): OpenWindow | undefined {
    let best: OpenWindow | undefined;
    const now = this.now();
    for (const [id, window] of chat) {
      if (now >= window.expiresAt) {
        chat.delete(id);
        continue;
      }
      const spare = this.maxReplies - window.used - (window.answered ? 0 : 1);
      if (spare > 0 && this.usable(window, now) && (!best || window.expiresAt > best.expiresAt)) best = window;
    }
    return best;
  }

  private usable(window: OpenWindow, now = this.now()): boolean {
    return window.used < this.maxReplies && now < window.expiresAt - this.margin;
  }

  private ttl(address: Address): number {
    return address.kind === 'user' ? this.c2cTtl : this.groupTtl;
  }

  /** Drop expired windows and empty chats everywhere (every 10,000 openings). */
  private sweep(): void {
    const now = this.now();
    for (const [key, chat] of this.chats) {
      for (const [id, window] of chat) if (now >= window.expiresAt) chat.delete(id);
      if (chat.size === 0) this.chats.delete(key);
    }
  }
}

/**
 * The msg_seq of one send through one window, from the send's id (stable across retries and
 * restarts): 1 to 2^31 − 1. Two different sends through one window (at most 5) collide with odds
 * of about 1 in 200 million.
 */
export function stableSeq(sendId: string, windowId: string): number {
  const digest = createHash('sha256').update(`${windowId}\n${sendId}`).digest();
  return (digest.readUInt32BE(0) % 0x7fff_ffff) + 1;
}
