import { AddressKinds, type Address, type AddressKind } from '../domain/address.js';
import { Destination } from './Destination.js';
import { entryOf, pending, type Body, type Pending } from './Pending.js';
import type { OutboxRecord } from './types.js';

/**
 * The outbox's journal records, encoded and decoded, and nothing else: no I/O, no state, so every
 * rule of the format is here and testable on its own.
 *
 * - `a`: one accepted message (its whole entry), with `next` when parts were sent before a compaction;
 * - `m`: one body to many destinations (a fan-out), members as `kind:id` on one platform or as
 *   address objects, ids listed or as a prefix and a first number;
 * - `p`: part progress; `d`: one finished message (`ok`, `reason`); `D`: a batch of delivered ones.
 */

/** What a journal's records leave pending, in acceptance order, and how many acceptances it held. */
export interface Decoded {
  readonly live: Map<string, Pending>;
  /** Messages accepted (including those finished since). */
  readonly accepted: number;
  /** Acceptance records (`a` and `m`). */
  readonly acceptRecords: number;
}

/** Read records back: `warn` is told of any record it cannot use (which is skipped). */
export function decodeRecords(records: readonly OutboxRecord[], warn: (what: string, detail: Record<string, unknown>) => void): Decoded {
  const live = new Map<string, Pending>();
  let accepted = 0;
  let acceptRecords = 0;
  const accept = (id: string, to: Pending['to'], body: Body, next?: number): void => {
    accepted++;
    if (!live.has(id)) live.set(id, pending(id, to, body, next));
  };
  for (const record of records) {
    switch (record?.t) {
      case 'a': {
        acceptRecords++;
        const { id, to, ...body } = record.e;
        accept(id, to, body, record.next);
        break;
      }
      case 'm': {
        const { to, platform, parts, priority, createdAt, acceptedAt } = record;
        const destinations = Array.isArray(to) ? to.map((d) => destinationOf(d, platform)) : [];
        const ids = memberIds(record, destinations.length);
        if (!ids || ids.length !== destinations.length || destinations.includes(undefined)) {
          warn('skipping a malformed outbox journal record', { ids: record.ids?.length, to: to?.length });
          break;
        }
        acceptRecords++;
        // The members keep sharing one body, so a compaction writes them as one record again.
        const body: Body = { parts, priority, createdAt, acceptedAt };
        for (let i = 0; i < ids.length; i++) accept(ids[i]!, destinations[i]!, body);
        break;
      }
      case 'p': {
        const item = live.get(record.id);
        if (item) item.next = Math.max(item.next, record.next);
        break;
      }
      case 'd':
        live.delete(record.id);
        break;
      case 'D':
        for (const id of record.ids ?? []) live.delete(id);
        if (typeof record.p === 'string' && Array.isArray(record.s)) for (const n of record.s) live.delete(numberedId(record.p, n));
        break;
      default:
        warn('skipping unknown outbox journal record', { record });
    }
  }
  return { live, accepted, acceptRecords };
}

/** Part progress of one message. */
export function progressRecord(id: string, next: number): OutboxRecord {
  return { t: 'p', id, next };
}

/** One message finished for good without delivery (failed, or withdrawn), with why. */
export function failureRecord(id: string, reason: string | undefined): OutboxRecord {
  return { t: 'd', id, ok: false, ...(reason !== undefined ? { reason } : {}) };
}

/** Deliveries: ids in full, and/or this instance's message numbers under its id prefix. */
export function deliveredRecord(ids: readonly string[], prefix: string, seqs: readonly number[]): OutboxRecord {
  const record: { t: 'D'; ids?: readonly string[]; p?: string; s?: readonly number[] } = { t: 'D' };
  if (ids.length > 0) record.ids = ids;
  if (seqs.length > 0) {
    record.p = prefix;
    record.s = seqs;
  }
  return record;
}

/**
 * Journal records for messages in acceptance order: members of a multicast not yet begun (they
 * share one body object) become one `m` record at the first member's place, the rest `a` records.
 * Members are accepted together and go to distinct chats, so this never reorders a chat's messages.
 */
export function encodeAccepted(items: Iterable<Pending>, idPrefix: string): OutboxRecord[] {
  // A single reply, the common case, needs no grouping structures.
  if (Array.isArray(items) && items.length === 1) return [acceptRecord(items[0] as Pending)];
  const slots: Pending[][] = [];
  const byBody = new Map<Body, Pending[]>();
  for (const item of items) {
    const members = item.next === 0 ? byBody.get(item.body) : undefined;
    if (members) {
      members.push(item);
      continue;
    }
    const slot = [item];
    slots.push(slot);
    if (item.next === 0) byBody.set(item.body, slot);
  }
  return slots.map((slot) => {
    if (slot.length > 1) {
      const first = slot[0]!;
      const { parts, priority, createdAt, acceptedAt } = first.body;
      // Members share a body, and so a platform (see SharedBodies); address objects otherwise.
      const { platform } = first.to;
      const record: { -readonly [K in keyof MulticastRecord]: MulticastRecord[K] } = slot.some((m) => m.to.platform !== platform)
        ? { t: 'm', to: slot.map((m) => m.to), parts, priority, createdAt, acceptedAt }
        : { t: 'm', platform, to: slot.map(chatOf), parts, priority, createdAt, acceptedAt };
      // Members numbered in a row (a fan-out batch) are written as the first number. (Assigned, not
      // spread into the literal: a spread followed by new keys is a slow path in V8.)
      if (inARow(slot)) {
        record.p = idPrefix;
        record.s = first.seq;
      } else {
        record.ids = slot.map((m) => m.id);
      }
      return record;
    }
    return acceptRecord(slot[0]!);
  });
}

/** A member's `kind:id`, made once per chat for a {@link Destination}. */
function chatOf(member: Pending): string {
  const { to } = member;
  return to instanceof Destination ? to.chat : `${to.kind}:${to.id}`;
}

type MulticastRecord = OutboxRecord & { t: 'm' };

/** An id made of an outbox instance's prefix and a message number in base 36 (see {@link Pending.seq}). */
export function numberedId(prefix: string, n: number): string {
  return prefix + n.toString(36);
}

/** Whether members were numbered one after another by this instance. */
function inARow(members: readonly Pending[]): boolean {
  const from = members[0]!.seq;
  if (from < 0) return false;
  for (let i = 1; i < members.length; i++) if (members[i]!.seq !== from + i) return false;
  return true;
}

/** The ids of an `m` record's `count` members, or undefined when the record names them wrongly. */
function memberIds(record: MulticastRecord, count: number): readonly string[] | undefined {
  if (Array.isArray(record.ids)) return record.ids.every((id) => typeof id === 'string') ? record.ids : undefined;
  const { p, s } = record;
  if (typeof p !== 'string' || !Number.isSafeInteger(s) || s! < 0) return undefined;
  return Array.from({ length: count }, (_, i) => numberedId(p, s! + i));
}

function acceptRecord(item: Pending): OutboxRecord {
  return { t: 'a', e: entryOf(item), ...(item.next > 0 ? { next: item.next } : {}) };
}

/** A multicast member's destination: `kind:id` on the record's platform, or an address object. */
function destinationOf(to: Address | string | undefined, platform: string | undefined): Address | undefined {
  if (typeof to !== 'string') return to && typeof to === 'object' ? to : undefined;
  const at = to.indexOf(':');
  const kind = to.slice(0, at);
  if (at <= 0 || typeof platform !== 'string' || !AddressKinds.has(kind)) return undefined;
  return { platform, kind: kind as AddressKind, id: to.slice(at + 1) };
}
