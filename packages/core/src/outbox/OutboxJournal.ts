import type { Journal } from '../store/Store.js';
import { errorInfo, type Logger } from '../util/Logger.js';
import { detach } from '../util/detach.js';
import { decodeRecords, deliveredRecord, encodeAccepted, failureRecord, numberedId, progressRecord } from './journalCodec.js';
import type { Pending } from './Pending.js';
import type { OutboxRecord } from './types.js';

/**
 * The outbox's journal: what it writes when (the record format itself is {@link encodeAccepted} and
 * {@link decodeRecords}, in journalCodec.ts). Only acceptance is flushed on its own; part progress,
 * failures and the deliveries of one event-loop turn ride on the next flush, as losing one in a
 * crash only repeats a send.
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
    const { live, accepted, acceptRecords } = decodeRecords(records, (what, detail) => this.logger.warn(detail, what));
    // Only a clock set back since an earlier run can give this run's prefix to an id still pending.
    for (let n = 1; [...live.keys()].some((id) => id.startsWith(this.idPrefix)); n++) {
      this.idPrefix = `${Date.now().toString(36)}.${n}-`;
    }
    // A compacted journal holds exactly the pending: one accept record each (or per multicast), nothing else.
    return { pending: [...live.values()], stale: records.length > acceptRecords || accepted > live.size };
  }

  /** Persist newly accepted messages (durably: resolves once they survive a crash). */
  accept(items: readonly Pending[]): Promise<void> {
    return this.journal.append(encodeAccepted(items, this.idPrefix));
  }

  /** Record that a message reached part `item.next`. */
  progress(item: Pending): Promise<void> {
    return this.journal.append([progressRecord(item.id, item.next)], { durable: false });
  }

  /** Record a delivery; written with the others of this event-loop turn. */
  deliveredOne(item: Pending): void {
    if (item.seq >= 0) this.deliveredSeqs.push(item.seq);
    else this.deliveredIds.push(item.id);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => detach(this.flush(), (error) => this.logger.error(errorInfo(error), 'could not record deliveries')));
  }

  /** Record a permanent failure and its reason. */
  failed(id: string, reason: string | undefined): void {
    this.journal
      .append([failureRecord(id, reason)], { durable: false })
      .catch((error: unknown) => this.logger.error({ ...errorInfo(error), id }, 'could not record a failure'));
  }

  /** Write the deliveries collected so far. */
  async flush(): Promise<void> {
    this.flushScheduled = false;
    const { deliveredSeqs: seqs, deliveredIds: ids } = this;
    if (seqs.length + ids.length === 0) return;
    const record = deliveredRecord(ids, this.idPrefix, seqs);
    this.deliveredIds = [];
    this.deliveredSeqs = [];
    await this.journal
      .append([record], { durable: false })
      .catch((error: unknown) => this.logger.error({ ...errorInfo(error), count: seqs.length + ids.length }, 'could not record deliveries'));
  }

  /** Rewrite the journal as exactly what `pending()` returns when the rewrite runs. */
  compact(pending: () => Iterable<Pending>): Promise<void> {
    return this.journal.compact(() => encodeAccepted(pending(), this.idPrefix));
  }
}

