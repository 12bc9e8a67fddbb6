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
}

/** What a send uses: the id to reply to and a fresh msg_seq. */
export interface ReplyTicket {
  readonly msgId?: string;
  readonly eventId?: string;
  readonly seq: number;
}

interface Window {
  readonly msgId?: string;
  readonly eventId?: string;
  readonly expiresAt: number;
  used: number;
  nextSeq: number;
}

/**
 * Since 2025-04-21 the platform accepts only passive replies: a msg_id (or event_id) from that chat,
 * within 5 minutes (groups, guilds) or 60 minutes (C2C), at most 5 replies each, every reply with a
 * msg_seq not used before for that id (a repeat is refused with 40054005). This tracks, per chat,
 * the freshest usable id and spends it.
 */
export class ReplyWindows {
  private readonly windows = new Map<string, Window>();
  private readonly groupTtl: number;
  private readonly c2cTtl: number;
  private readonly maxReplies: number;
  private readonly margin: number;

  constructor(options: ReplyWindowOptions = {}) {
    this.groupTtl = options.groupTtlMs ?? 5 * 60_000;
    this.c2cTtl = options.c2cTtlMs ?? 60 * 60_000;
    this.maxReplies = options.maxReplies ?? 5;
    this.margin = options.marginMs ?? 5000;
  }

  /** Record a reply chance; kept when it is fresher than the current one. @returns true when it opened or renewed a window. */
  open(opening: WindowOpening): boolean {
    const ttl = opening.address.kind === 'user' ? this.c2cTtl : this.groupTtl;
    const expiresAt = opening.at + ttl;
    const key = addressKey(opening.address);
    const current = this.windows.get(key);
    if (current && this.usable(current) && current.expiresAt >= expiresAt) return false;
    this.windows.set(key, {
      ...(opening.msgId ? { msgId: opening.msgId } : {}),
      ...(opening.eventId && !opening.msgId ? { eventId: opening.eventId } : {}),
      expiresAt,
      used: 0,
      nextSeq: 1,
    });
    return true;
  }

  /** Spend one reply of the chat's window; undefined when none is usable. */
  take(address: Address): ReplyTicket | undefined {
    const key = addressKey(address);
    const window = this.windows.get(key);
    if (!window || !this.usable(window)) {
      this.windows.delete(key);
      return undefined;
    }
    window.used++;
    const seq = window.nextSeq++;
    return { ...(window.msgId ? { msgId: window.msgId } : {}), ...(window.eventId ? { eventId: window.eventId } : {}), seq };
  }

  /** Replies left in the chat's window. */
  remaining(address: Address): number {
    const window = this.windows.get(addressKey(address));
    return window && this.usable(window) ? this.maxReplies - window.used : 0;
  }

  /** The platform refused the window (expired, or never valid): forget it. */
  close(address: Address): void {
    this.windows.delete(addressKey(address));
  }

  /**
   * The send did not go through (rate limit, 5xx, network, duplicate seq): give the reply back to
   * the budget. The seq is not given back: it may have reached the platform, and a reused seq is refused.
   */
  refund(address: Address): void {
    const window = this.windows.get(addressKey(address));
    if (window) window.used = Math.max(0, window.used - 1);
  }

  private usable(window: Window): boolean {
    return window.used < this.maxReplies && Date.now() < window.expiresAt - this.margin;
  }
}
