import type { Address, Identity, InboundMessage } from '@switchboard/core';
import type { QqMessageEvent, QqWindowEvent } from './types.js';

/** Platform name in addresses and identities. */
export const QqPlatform = 'qq';

/** A chance to reply passively: a message id or event id from that chat. */
export interface WindowOpening {
  readonly address: Address;
  readonly msgId?: string;
  readonly eventId?: string;
  /** Epoch ms the platform stamped (or receipt time). */
  readonly at: number;
}

/** What a dispatch means for the adapter. */
export type Decoded =
  | { readonly kind: 'message'; readonly inbound: InboundMessage; readonly window: WindowOpening }
  | { readonly kind: 'window'; readonly window: WindowOpening }
  | { readonly kind: 'ignored' };

const mention = /<@!?\d+>/g;

/**
 * Map one dispatch (`t`, `d`, the payload `id`) to an inbound message and/or a reply window.
 * Identities: guild users by user id, group members by member_openid (per group), C2C users by
 * user_openid (per bot); the union_openid, when present, is offered as a weaker alternate.
 * @see https://bot.q.qq.com/wiki/develop/api-v2/server-inter/message/send-receive/event.html
 */
export function decodeDispatch(t: string, d: unknown, eventId: string | undefined, now = Date.now()): Decoded {
  switch (t) {
    case 'C2C_MESSAGE_CREATE': {
      const m = d as QqMessageEvent;
      const openid = m.author?.user_openid ?? m.author?.id;
      if (!openid || !m.id) return { kind: 'ignored' };
      const chat: Address = { platform: QqPlatform, kind: 'user', id: openid };
      return message(m, { platform: QqPlatform, id: openid }, chat, true, m.content ?? '', now);
    }
    case 'GROUP_AT_MESSAGE_CREATE': {
      const m = d as QqMessageEvent;
      const member = m.author?.member_openid ?? m.author?.id;
      const group = m.group_openid ?? m.group_id;
      if (!member || !group || !m.id) return { kind: 'ignored' };
      return message(m, { platform: QqPlatform, id: member }, { platform: QqPlatform, kind: 'group', id: group }, true, m.content ?? '', now);
    }
    case 'AT_MESSAGE_CREATE':
    case 'MESSAGE_CREATE': {
      const m = d as QqMessageEvent;
      if (!m.author?.id || !m.channel_id || !m.id || m.author.bot) return { kind: 'ignored' };
      const mentioned = t === 'AT_MESSAGE_CREATE' || mention.test(m.content ?? '');
      mention.lastIndex = 0;
      return message(m, { platform: QqPlatform, id: m.author.id }, { platform: QqPlatform, kind: 'channel', id: m.channel_id }, mentioned, m.content ?? '', now);
    }
    case 'DIRECT_MESSAGE_CREATE': {
      const m = d as QqMessageEvent;
      if (!m.author?.id || !m.guild_id || !m.id || m.author.bot) return { kind: 'ignored' };
      return message(m, { platform: QqPlatform, id: m.author.id }, { platform: QqPlatform, kind: 'dm', id: m.guild_id }, true, m.content ?? '', now);
    }
    case 'C2C_MSG_RECEIVE':
    case 'FRIEND_ADD': {
      const e = d as QqWindowEvent;
      if (!e.openid) return { kind: 'ignored' };
      return { kind: 'window', window: { address: { platform: QqPlatform, kind: 'user', id: e.openid }, ...(eventId ? { eventId } : {}), at: stamp(e.timestamp, now) } };
    }
    case 'GROUP_ADD_ROBOT':
    case 'GROUP_MSG_RECEIVE': {
      const e = d as QqWindowEvent;
      if (!e.group_openid) return { kind: 'ignored' };
      return { kind: 'window', window: { address: { platform: QqPlatform, kind: 'group', id: e.group_openid }, ...(eventId ? { eventId } : {}), at: stamp(e.timestamp, now) } };
    }
    default:
      return { kind: 'ignored' };
  }
}

function message(m: QqMessageEvent, from: Identity, chat: Address, mentionsBot: boolean, content: string, now: number): Decoded {
  const text = content.replace(mention, ' ').replace(/\s+/g, ' ').trim();
  const alternates: Identity[] = m.author?.union_openid && m.author.union_openid !== from.id ? [{ platform: QqPlatform, id: `union:${m.author.union_openid}` }] : [];
  const at = stamp(m.timestamp, now);
  return {
    kind: 'message',
    inbound: {
      id: m.id,
      platform: QqPlatform,
      from: { ...from, ...(m.author?.username ? { name: m.author.username } : {}) },
      ...(alternates.length > 0 ? { alternates } : {}),
      chat,
      text,
      mentionsBot,
      receivedAt: now,
      replyContext: { msgId: m.id, at },
      ...(typeof m.message_reference?.message_id === 'string' && m.message_reference.message_id !== '' ? { quoted: { id: m.message_reference.message_id } } : {}),
    },
    window: { address: chat, msgId: m.id, at },
  };
}

/** Event timestamps: RFC 3339 (sometimes Go's time.String() with a " m=+…" suffix) or unix seconds. */
function stamp(value: string | number | undefined, now: number): number {
  if (typeof value === 'number') return value < 1e12 ? value * 1000 : value;
  if (typeof value === 'string') {
    const t = Date.parse(value.replace(/ m=\+.*$/, ''));
    if (Number.isFinite(t)) return Math.min(t, now);
  }
  return now;
}
