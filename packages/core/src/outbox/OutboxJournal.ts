import { AddressKinds, type Address, type AddressKind } from '../domain/address.js';
import type { Journal } from '../store/Store.js';
import { errorInfo, type Logger } from '../util/Logger.js';
import { Destination } from './Destination.js';
import { entryOf, pending, type Body, type Pending } from './Pending.js';
import type { OutboxRecord } from './types.js';

/**
 * The outbox's record format on a {@link Journal}: `a` (one accepted message), `m` (one body to many
 * destinations), `p` (part progress), `d` (one finished message with its outcome) and `D` (a batch
 * of delivered ones). Only acceptance is flushed on its own; the others ride on the next flush, as
 * losing one in a crash only repeats a send.
 */
export class OutboxJournal {
  /**
   * Delivered messages whose `D` record is not written yet (one record per event-loop turn): by
   * number when this instance made the id, which is a third of the serialising work of the string.
   */
  private deliveredSeqs: number[] = [];
  private deliveredIds: string[] = [];
  private flushScheduled = false;

  /**
   * The prefix of the ids this outbox instance makes (see {@link Pending.seq}): its start time in
   * base 36. {@link replay} makes sure no pending id read back starts with it.
   */
  idPrefix = `${Date.now().toString(36)}-`;

  constructor(
    private readonly journal: Journal,
    private readonly logger: Logger,
  ) {}

  /** The id of this instance's message number `seq`. */
  idOf(seq: number): string {
    return numberedId(this.idPrefix, seq);
  }

  /**
   * Read back what was accepted and not finished, in acceptance order. `stale` says the journal
   * holds more than that (finished or superseded records) and is worth compacting.
   */
  async replay(): Promise<{ pending: Pending[]; stale: boolean }> {
    const records = (await this.journal.readAll()) as OutboxRecord[];
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
            this.logger.warn({ ids: record.ids?.length, to: to?.length }, 'skipping a malformed outbox journal record');
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
          this.logger.warn({ record }, 'skipping unknown outbox journal record');
      }
    }
    // Only a clock set back since an earlier run can give this run's prefix to an id still pending.
    for (let n = 1; [...live.keys()].some((id) => id.startsWith(this.idPrefix)); n++) {
      this.idPrefix = `${Date.now().toString(36)}.${n}-`;
    }
    // A compacted journal holds exactly the pending: one accept record each (or per multicast), nothing else.
    return { pending: [...live.values()], stale: records.length > acceptRecords || accepted > live.size };
  }

  /** Persist newly accepted messages (durably: resolves once they survive a crash). */
  accept(items: readonly Pending[]): Promise<void> {
    return this.journal.append(recordsOf(items, this.idPrefix));
  }

  /** Record that a message reached part `item.next`. */
  progress(item: Pending): Promise<void> {
    return this.journal.append([{ t: 'p', id: item.id, next: item.next }], { durable: false });
  }

  /** Record a delivery; written with the others of this event-loop turn. */
  deliveredOne(item: Pending): void {
    if (item.seq >= 0) this.deliveredSeqs.push(item.seq);
    else this.deliveredIds.push(item.id);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => void this.flush());
  }

  /** Record a permanent failure and its reason. */
  failed(id: string, reason: string | undefined): void {
    this.journal
      .append([{ t: 'd', id, ok: false, ...(reason !== undefined ? { reason } : {}) }], { durable: false })
      .catch((error: unknown) => this.logger.error({ ...errorInfo(error), id }, 'could not record a failure'));
  }

  /** Write the deliveries collected so far. */
  async flush(): Promise<void> {
    this.flushScheduled = false;
    const { deliveredSeqs: seqs, deliveredIds: ids } = this;
    if (seqs.length + ids.length === 0) return;
    const record: { t: 'D'; ids?: string[]; p?: string; s?: number[] } = { t: 'D' };
    if (ids.length > 0) {
      record.ids = ids;
      this.deliveredIds = [];
    }
    if (seqs.length > 0) {
      record.p = this.idPrefix;
      record.s = seqs;
      this.deliveredSeqs = [];
    }
    await this.journal
      .append([record], { durable: false })
      .catch((error: unknown) => this.logger.error({ ...errorInfo(error), count: seqs.length + ids.length }, 'could not record deliveries'));
  }

  /** Rewrite the journal as exactly what `pending()` returns when the rewrite runs. */
  compact(pending: () => Iterable<Pending>): Promise<void> {
    return this.journal.compact(() => recordsOf(pending(), this.idPrefix));
  }
}

/**
 * Journal records for messages in acceptance order: members of a multicast not yet begun (they
 * share one body object) become one `m` record at the first member's place, the rest `a` records.
 * Members are accepted together and go to distinct chats, so this never reorders a chat's messages.
 */
function recordsOf(items: Iterable<Pending>, idPrefix: string): OutboxRecord[] {
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
function numberedId(prefix: string, n: number): string {
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
