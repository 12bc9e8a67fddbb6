import type { Adapter, SendRequest } from '../domain/Adapter.js';
import type { Fifo } from '../util/Fifo.js';
import type { Pending } from './Pending.js';

/** A send that carries one message only. */
export const NoCompanions: readonly Pending[] = Object.freeze([]);

/**
 * Notifications waiting behind `item` in its lane that can ride along in one send, for adapters
 * that combine: only when `item` is a notification that was held for the chat's window, and only
 * untouched, single-part notifications, all together within the length limit. A reply to a
 * message (one with a `replyContext`) never rides along and never carries others: each reply
 * answers its own message.
 */
export function companionsOf(adapter: Adapter, item: Pending, lane: Fifo<Pending>): readonly Pending[] {
  if (!adapter.limits.combine || !item.held || item.body.replyContext !== undefined || item.next !== 0 || item.body.parts.length !== 1) {
    return NoCompanions;
  }
  const out: Pending[] = [];
  let length = Array.from(item.body.parts[0]!).length;
  for (let i = 1; i < lane.length; i++) {
    const next = lane.at(i)!;
    if (next.done || !next.held || next.body.replyContext !== undefined || next.next !== 0 || next.body.parts.length !== 1) break;
    const add = 2 + Array.from(next.body.parts[0]!).length;
    if (length + add > adapter.limits.maxTextLength) break;
    length += add;
    out.push(next);
  }
  return out;
}

/** What the adapter is asked to send: the next part, or an untouched message with its companions. */
export function requestFor(item: Pending, companions: readonly Pending[]): SendRequest {
  const { body } = item;
  const text = companions.length === 0 ? body.parts[item.next]! : [body.parts[0]!, ...companions.map((c) => c.body.parts[0]!)].join('\n\n');
  const request: { -readonly [K in keyof SendRequest]: SendRequest[K] } = {
    id: body.parts.length > 1 ? `${item.id}#${item.next + 1}` : item.id,
    to: item.to,
    text,
    attempt: item.failures + 1,
  };
  // Assigned rather than spread: this runs for every send.
  if (body.replyContext !== undefined) request.replyContext = body.replyContext;
  return request;
}
