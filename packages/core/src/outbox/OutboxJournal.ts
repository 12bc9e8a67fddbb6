import { AddressKinds, type Address, type AddressKind } from '../domain/address.js';
import type { Journal } from '../store/Store.js';
import { errorInfo, type Logger } from '../util/Logger.js';
import { entryOf, pending, type Body, type Pending } from './Pending.js';
import type { OutboxRecord } from './types.js';

/**
 * The outbox's record format on a {@link Journal}: `a` (one accepted message), `m` (one body to many
 * destinations), `p` (part progress), `d` (one finished message with its outcome) and `D` (a batch
 * of delivered ones). Only acceptance is flushed on its own; the others ride on the next flush, as
 * losing one in a crash only repeats a send.
 */
export class OutboxJournal {
  /** Delivered ids whose `D` record is not written yet: one record per event-loop turn. */
  private delivered: string[] = [];
  private flushScheduled = false;

  constructor(
    private readonly journal: Journal,
    private readonly logger: Logger,
  ) {}

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
          const { ids, to, platform, parts, priority, createdAt, acceptedAt } = record;
          const destinations = Array.isArray(to) ? to.map((d) => destinationOf(d, platform)) : [];
          if (!Array.isArray(ids) || ids.length !== destinations.length || destinations.includes(undefined)) {
            this.logger.warn({ ids: ids?.length, to: to?.length }, 'skipping a malformed outbox journal record');
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
          for (const id of record.ids) live.delete(id);
          break;
        default:
          this.logger.warn({ record }, 'skipping unknown outbox journal record');
      }
    }
    // A compacted journal holds exactly the pending: one accept record each (or per multicast), nothing else.
    return { pending: [...live.values()], stale: records.length > acceptRecords || accepted > live.size };
  }

  /** Persist newly accepted messages (durably: resolves once they survive a crash). */
  accept(items: readonly Pending[]): Promise<void> {
    return this.journal.append(recordsOf(items));
  }

  /** Record that a message reached part `item.next`. */
  progress(item: Pending): Promise<void> {
    return this.journal.append([{ t: 'p', id: item.id, next: item.next }], { durable: false });
  }

  /** Record a delivery; written with the others of this event-loop turn. */
  deliveredOne(id: string): void {
    this.delivered.push(id);
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
    if (this.delivered.length === 0) return;
    const ids = this.delivered;
    this.delivered = [];
    await this.journal
      .append([{ t: 'D', ids }], { durable: false })
      .catch((error: unknown) => this.logger.error({ ...errorInfo(error), count: ids.length }, 'could not record deliveries'));
  }

  /** Rewrite the journal as exactly what `pending()` returns when the rewrite runs. */
  compact(pending: () => Iterable<Pending>): Promise<void> {
    return this.journal.compact(() => recordsOf(pending()));
  }
}

/**
 * Journal records for messages in acceptance order: members of a multicast not yet begun (they
 * share one body object) become one `m` record at the first member's place, the rest `a` records.
 * Members are accepted together and go to distinct chats, so this never reorders a chat's messages.
 */
function recordsOf(items: Iterable<Pending>): OutboxRecord[] {
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
      const { parts, priority, createdAt, acceptedAt } = slot[0]!.body;
      const ids = slot.map((m) => m.id);
      // Members share a body, and so a platform (see SharedBodies); address objects otherwise.
      const { platform } = slot[0]!.to;
      if (slot.some((m) => m.to.platform !== platform)) return { t: 'm', ids, to: slot.map((m) => m.to), parts, priority, createdAt, acceptedAt };
      const to = slot.map((m) => `${m.to.kind}:${m.to.id}`);
      return { t: 'm', ids, platform, to, parts, priority, createdAt, acceptedAt };
    }
    return acceptRecord(slot[0]!);
  });
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
