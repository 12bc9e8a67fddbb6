import { addressKey, type Address } from '../domain/address.js';
import type { OutboundMessage } from '../domain/messages.js';
import type { Linked } from '../util/LiveList.js';
import type { OutboxEntry } from './types.js';

/** What a message shares with the others of its multicast (one object for all of them). */
export type Body = Omit<OutboxEntry, 'id' | 'to'>;

/** A pending message: its own id and destination, the (possibly shared) body, and delivery progress. */
export interface Pending extends Linked<Pending> {
  readonly id: string;
  readonly to: Address;
  readonly body: Body;
  /** Its destination's lane key ({@link addressKey}), computed once. */
  readonly key: string;
  /**
   * The number in its id when this outbox instance made it (the id is the instance's prefix and
   * this number in base 36), which the journal writes instead of the string; -1 for ids read back
   * from the journal.
   */
  readonly seq: number;
  /** Delivered or failed (also when it rode along in a combined send). */
  done: boolean;
  /** The next part to send. */
  next: number;
  attempts: number;
  failures: number;
  deferred: boolean;
  /** It waited in a lane parked for a reply window: a held notification may go together with others. */
  held: boolean;
  /** Handed to the adapter and not answered yet: it can no longer be withdrawn. */
  sending: boolean;
}

export function pending(id: string, to: Address, body: Body, next = 0, key = addressKey(to), seq = -1): Pending {
  return { id, to, body, key, seq, done: false, next, attempts: 0, failures: 0, deferred: false, held: false, sending: false, prevLive: undefined, nextLive: undefined };
}

/** The journal form of one message. */
export function entryOf(item: Pending): OutboxEntry {
  return { id: item.id, to: item.to, ...item.body };
}

/**
 * The bodies of one fan-out batch, by text (a caller fanning out passes one string, whose hash is
 * computed once), then by what else members must share.
 */
export class SharedBodies {
  private readonly byText = new Map<string, { platform: string; body: Body }[]>();

  find(message: OutboundMessage, now: number): Body | undefined {
    const priority = message.priority ?? 'normal';
    const createdAt = message.createdAt ?? now;
    // A loop, not find(): this runs once per recipient of a fan-out.
    for (const variant of this.byText.get(message.text) ?? []) {
      const { body } = variant;
      if (variant.platform === message.to.platform && body.priority === priority && body.createdAt === createdAt) return body;
    }
    return undefined;
  }

  /** Offer a new body for the messages after this one. */
  add(message: OutboundMessage, body: Body): void {
    const variants = this.byText.get(message.text);
    if (variants) variants.push({ platform: message.to.platform, body });
    else this.byText.set(message.text, [{ platform: message.to.platform, body }]);
  }
}
