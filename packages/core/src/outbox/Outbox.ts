import { setMaxListeners } from 'node:events';
import { Subject, type Observable, type Subscription } from 'rxjs';
import { addressKey, type Address } from '../domain/address.js';
import type { Adapter } from '../domain/Adapter.js';
import type { OutboundMessage, SendResult } from '../domain/messages.js';
import type { Journal, Store } from '../store/Store.js';
import { backoffDelay } from '../util/backoff.js';
import { formatDuration } from '../util/duration.js';
import { errorInfo, silentLogger, type Logger } from '../util/Logger.js';
import { sleep } from '../util/sleep.js';
import { definedOnly } from '../util/definedOnly.js';
import { RateLimiter } from './RateLimiter.js';
import { splitText } from './splitText.js';
import type { Accepted, DeliveryReport, OutboxEntry, OutboxRecord } from './types.js';

/** Options of {@link Outbox}. */
export interface OutboxOptions {
  readonly store: Store;
  readonly logger?: Logger;
  /** Backoff scale for transient failures without a retry-after. @defaultValue 1000 */
  readonly retryBaseMs?: number;
  /** Longest wait between two attempts. @defaultValue 300000 (5 min) */
  readonly retryMaxMs?: number;
  /** A message still failing transiently this long after acceptance is failed and reported. @defaultValue 86400000 (24 h) */
  readonly giveUpAfterMs?: number;
  /** A deferred message is tried again after this long even if the adapter announces no window. @defaultValue 300000 */
  readonly deferredRecheckMs?: number;
  /** Rewrite the journal once this many finished messages have accumulated in it. @defaultValue 2000 */
  readonly compactAfter?: number;
  /** Randomness for jitter; injectable for tests. */
  readonly random?: () => number;
}

/** Defaults of {@link OutboxOptions}. */
export const DefaultOutboxOptions = {
  retryBaseMs: 1000,
  retryMaxMs: 300_000,
  giveUpAfterMs: 86_400_000,
  deferredRecheckMs: 300_000,
  compactAfter: 2000,
} as const satisfies Partial<OutboxOptions>;

/** What a message shares with the others of its multicast (one object for all of them). */
type Body = Omit<OutboxEntry, 'id' | 'to'>;

/** A pending message: its own id and destination, the shared body, and delivery progress. */
interface Live {
  readonly id: string;
  readonly to: Address;
  readonly entry: Body;
  /** Its destination's lane key ({@link addressKey}), computed once. */
  readonly key: string;
  /** Delivered or failed (also when it rode along in a combined send). */
  done: boolean;
  next: number;
  attempts: number;
  failures: number;
  deferred: boolean;
}

const JournalName = 'outbox';
/** How long lanes may keep sending in one event-loop turn before they yield to I/O. */
const DeliveryMsPerTurn = 10;
/** Lanes resumed per turn after a yield (each then sends until the turn's time is up). */
const WakeupsPerTurn = 4096;
const NoCompanions: readonly Live[] = Object.freeze([]);

/**
 * The single way out. Every reply and alert is accepted here (persisted before the caller hears
 * "accepted"), then delivered per destination in acceptance order, at the adapter's rate, with
 * retries, retry-after, deferral until the platform opens a window, and a final report per message.
 */
export class Outbox {
  private readonly options: Required<Omit<OutboxOptions, 'logger' | 'store' | 'random'>> & { random: () => number };
  private readonly logger: Logger;
  private readonly journal: Journal;
  private readonly pending = new Set<Live>();
  private readonly laneKeys = new WeakMap<Address, string>();
  private readonly dedupe = new Map<string, Live>();
  private readonly adapters = new Map<string, { adapter: Adapter; limiter: RateLimiter; sub?: Subscription }>();
  private readonly adapterWaiters = new Map<string, (() => void)[]>();
  private readonly windowWaiters = new Map<string, Set<() => void>>();
  /** Per-destination FIFO lanes; a lane exists while its destination has something to deliver. */
  private readonly lanes = new Map<string, { items: Live[]; head: number }>();
  private readonly deliveriesSubject = new Subject<DeliveryReport>();
  private readonly stopController = new AbortController();
  private inflight = 0;
  /** Sends begun in this event-loop turn, and the lanes waiting for a later one (see {@link nextTurn}). */
  private turnSends = 0;
  private turnStarted = 0;
  private readonly turnWaiters: (() => void)[] = [];
  private turnHead = 0;
  private turnScheduled = false;
  private finishedSinceCompact = 0;
  /** Delivered ids whose done record is not written yet (see {@link finish}). */
  private delivered: string[] = [];
  private doneFlushScheduled = false;
  private seq = 0;
  private state: 'new' | 'started' | 'stopped' = 'new';

  /** Delivery progress and final outcome per message. */
  readonly deliveries$: Observable<DeliveryReport> = this.deliveriesSubject.asObservable();

  constructor(options: OutboxOptions) {
    this.options = {
      ...DefaultOutboxOptions,
      random: Math.random,
      ...definedOnly(options),
    } as typeof this.options;
    this.logger = (options.logger ?? silentLogger).child({ component: 'outbox' });
    this.journal = options.store.journal(JournalName);
    // Every destination waiting on a retry timer or a reply window listens to this one signal.
    setMaxListeners(0, this.stopController.signal);
  }

  /** Messages accepted and not yet delivered or failed. */
  get size(): number {
    return this.pending.size;
  }

  /** Pending messages held for a reply window: the deferred ones and everything queued behind them. */
  get deferredCount(): number {
    const held = new Set<string>();
    for (const live of this.pending) if (live.deferred) held.add(live.key);
    if (held.size === 0) return 0;
    let n = 0;
    for (const live of this.pending) if (held.has(live.key)) n++;
    return n;
  }

  /** Make an adapter a destination. @returns a disposer. */
  registerAdapter(adapter: Adapter): () => void {
    if (this.adapters.has(adapter.name)) throw new Error(`an adapter named "${adapter.name}" is already registered`);
    const limiter = new RateLimiter(adapter.limits.sendRatePerSecond, adapter.limits.sendBurst ?? 1);
    const sub = adapter.windows$?.subscribe((address) => this.wakeWindow(address));
    this.adapters.set(adapter.name, { adapter, limiter, ...(sub ? { sub } : {}) });
    for (const wake of this.adapterWaiters.get(adapter.name) ?? []) wake();
    this.adapterWaiters.delete(adapter.name);
    return () => {
      const current = this.adapters.get(adapter.name);
      if (current?.adapter !== adapter) return;
      current.sub?.unsubscribe();
      current.limiter.close();
      this.adapters.delete(adapter.name);
    };
  }

  /** Read the journal: whatever was accepted and not finished before the last stop (or crash) is pending again. */
  async load(): Promise<number> {
    const records = (await this.journal.readAll()) as OutboxRecord[];
    const live = new Map<string, Live>();
    let accepted = 0;
    const accept = (entry: OutboxEntry, next = 0, body?: Body): void => {
      accepted++;
      if (!live.has(entry.id)) live.set(entry.id, newLive(entry, next, body));
    };
    for (const record of records) {
      switch (record?.t) {
        case 'a':
          accept(record.e, record.next);
          break;
        case 'm': {
          const { ids, to, parts, priority, createdAt, acceptedAt } = record;
          if (!Array.isArray(ids) || !Array.isArray(to) || ids.length !== to.length) {
            this.logger.warn({ ids: ids?.length, to: to?.length }, 'skipping a malformed outbox journal record');
            break;
          }
          // The members keep sharing one body, so a compaction writes them as one record again.
          const body: Body = { parts, priority, createdAt, acceptedAt };
          for (let i = 0; i < ids.length; i++) accept({ id: ids[i]!, to: to[i]!, ...body }, 0, body);
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
    for (const item of live.values()) this.track(item);
    // Rewrite when anything in the journal is finished or superseded (a compacted journal holds exactly the pending).
    const accepts = records.filter((r) => r?.t === 'a' || r?.t === 'm').length;
    if (accepted > live.size || records.length > accepts) await this.journal.compact(() => this.snapshot());
    if (live.size > 0) this.logger.info({ pending: live.size }, 'resuming delivery of messages accepted before the restart');
    return live.size;
  }

  /** Begin delivering: everything pending, then everything accepted from now on. */
  start(): void {
    if (this.state !== 'new') throw new Error(`outbox cannot start: it is ${this.state}`);
    this.state = 'started';
    const orphaned = new Map<string, number>();
    for (const live of this.pending) {
      if (!this.adapters.has(live.to.platform)) {
        orphaned.set(live.to.platform, (orphaned.get(live.to.platform) ?? 0) + 1);
      }
      this.dispatch(live);
    }
    for (const [platform, count] of orphaned) {
      this.logger.warn({ platform, count }, 'pending messages for a platform no adapter serves; kept until one does');
    }
  }

  /**
   * Accept a message. Resolves once it is persisted: from then on it survives a crash and will be
   * delivered or reported as failed.
   * @throws TypeError for a malformed message, Error when no adapter serves the platform or the outbox is stopped.
   */
  async enqueue(message: OutboundMessage): Promise<Accepted> {
    const [accepted] = await this.enqueueMany([message]);
    return accepted!;
  }

  /**
   * Accept several messages at once (an alert fanned out to its recipients): all are checked
   * first — one bad message refuses the whole batch, and nothing is accepted — then persisted in
   * one journal append. Resolves, in input order, once they are persisted.
   * @throws as {@link enqueue}.
   */
  async enqueueMany(messages: readonly OutboundMessage[]): Promise<Accepted[]> {
    if (this.state === 'stopped') throw new Error('the outbox is stopped and accepts no more messages');
    for (const message of messages) this.validate(message);
    if (messages.length === 0) return [];
    const now = Date.now();
    const results: Accepted[] = [];
    const fresh: Live[] = [];
    const records: OutboxRecord[] = [];
    // One text to many chats (an alert fanned out) is journalled once with its list of destinations:
    // members share the parts array, which is also how a compaction finds them again. Only when every
    // destination appears once in the batch, so that record order cannot reorder any chat's messages.
    const idPrefix = `${now.toString(36)}-`;
    // A fan-out batch comes from a caller that keeps one address object per chat (see laneKey); a
    // single reply usually carries a fresh one, which a cache would only make the GC track.
    const laneKeys = messages.length > 1 ? messages.map((m) => this.laneKey(m.to)) : [addressKey(messages[0]!.to)];
    const groups = messages.length > 1 && new Set(laneKeys).size === messages.length ? new Map<string, Live[][]>() : undefined;
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      const key = message.dedupeKey ? `${laneKeys[i]}\u0000${message.dedupeKey}` : undefined;
      const existing = key ? this.dedupe.get(key) : undefined;
      if (existing) {
        results.push({ id: existing.id, parts: existing.entry.parts.length, duplicate: true });
        continue;
      }
      const priority = message.priority ?? 'normal';
      const createdAt = message.createdAt ?? now;
      const shareable = groups !== undefined && message.replyContext === undefined && message.dedupeKey === undefined;
      // Keyed by the text itself (a caller fanning out passes one string, whose hash is computed once),
      // then by what else the members must share.
      const variants = shareable ? groups.get(message.text) : undefined;
      let group: Live[] | undefined;
      for (const candidate of variants ?? []) {
        const first = candidate[0]!;
        if (first.to.platform === message.to.platform && first.entry.priority === priority && first.entry.createdAt === createdAt) {
          group = candidate;
          break;
        }
      }
      let body = group?.[0]!.entry;
      if (!body) {
        const fresh: { -readonly [K in keyof Body]: Body[K] } = {
          parts: splitText(message.text, this.adapters.get(message.to.platform)?.adapter.limits.maxTextLength ?? Infinity),
          priority,
          createdAt,
          acceptedAt: now,
        };
        if (message.replyContext !== undefined) fresh.replyContext = message.replyContext;
        if (message.dedupeKey !== undefined) fresh.dedupeKey = message.dedupeKey;
        body = fresh;
      }
      const live: Live = {
        id: idPrefix + (this.seq++).toString(36),
        to: { platform: message.to.platform, kind: message.to.kind, id: message.to.id },
        entry: body,
        key: laneKeys[i]!,
        done: false,
        next: 0,
        attempts: 0,
        failures: 0,
        deferred: false,
      };
      this.track(live);
      fresh.push(live);
      if (group) group.push(live);
      else if (variants) variants.push([live]);
      else if (shareable) groups.set(message.text, [[live]]);
      else records.push({ t: 'a', e: entryOf(live) });
      results.push({ id: live.id, parts: body.parts.length, duplicate: false });
    }
    for (const variants of groups?.values() ?? []) {
      for (const members of variants) records.push(members.length === 1 ? { t: 'a', e: entryOf(members[0]!) } : groupRecord(members));
    }
    try {
      await this.journal.append(records);
    } catch (error) {
      for (const live of fresh) this.untrack(live);
      throw error;
    }
    if (this.state === 'started') for (const live of fresh) this.dispatch(live);
    return results;
  }

  private validate(message: OutboundMessage): void {
    assertAddress(message.to);
    if (typeof message.text !== 'string' || message.text.trim() === '') {
      throw new TypeError(`message to ${addressKey(message.to)} has no text`);
    }
    if (!this.adapters.has(message.to.platform) && this.state === 'started') {
      throw new Error(`no adapter serves platform "${message.to.platform}"; cannot send to ${addressKey(message.to)}`);
    }
  }

  /**
   * Wait until nothing deliverable is pending (messages waiting for a reply window do not count),
   * or until the timeout. @returns true when drained.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > this.deferredCount) {
      if (Date.now() >= deadline) return false;
      await sleep(10);
    }
    return true;
  }

  /** Stop delivering. What is pending stays in the journal for the next start. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.stopController.abort();
    for (const { limiter, sub } of this.adapters.values()) {
      limiter.close();
      sub?.unsubscribe();
    }
    // Sends already handed to an adapter finish (and are journalled) before we let go of the store.
    for (let waited = 0; this.inflight > 0 && waited < 10_000; waited += 10) await sleep(10);
    await this.flushDone();
    this.deliveriesSubject.complete();
  }

  /**
   * Queue a message on its destination's lane, starting the lane when it was idle. One loop per
   * active destination keeps acceptance order there, while destinations proceed independently.
   * (A plain lane rather than groupBy + concatMap: fan-out reaches thousands of destinations, and an
   * RxJS group per destination would live, and allocate per message, forever.)
   */
  private dispatch(live: Live): void {
    const key = live.key;
    const lane = this.lanes.get(key);
    if (lane) {
      lane.items.push(live);
      return;
    }
    const fresh = { items: [live], head: 0 };
    this.lanes.set(key, fresh);
    void this.runLane(key, fresh);
  }

  private async runLane(key: string, lane: { items: Live[]; head: number }): Promise<void> {
    this.inflight++;
    try {
      while (lane.head < lane.items.length) {
        const live = lane.items[lane.head]!;
        if (!live.done && ++this.turnSends % 64 === 0 && this.turnOver()) await this.nextTurn();
        // Already delivered as part of a combined send.
        const finished = live.done || (await this.deliver(live, lane));
        if (!finished) return;
        lane.items[lane.head++] = undefined as never;
        if (lane.head > 1024 && lane.head * 2 > lane.items.length) {
          lane.items = lane.items.slice(lane.head);
          lane.head = 0;
        }
      }
    } catch (error) {
      this.logger.error({ ...errorInfo(error), destination: key }, 'outbox lane failed');
    } finally {
      if (this.lanes.get(key) === lane) this.lanes.delete(key);
      this.inflight--;
    }
  }

  /** Whether this event-loop turn has spent its time on sends. */
  private turnOver(): boolean {
    const now = performance.now();
    if (this.turnStarted === 0) {
      // The turn's clock starts with its first check and ends with the turn.
      this.turnStarted = now;
      setImmediate(() => (this.turnStarted = 0));
    }
    return now - this.turnStarted >= DeliveryMsPerTurn;
  }

  /**
   * Wait for a later event-loop turn. Sends that resolve at once (an in-memory adapter, a fast local
   * API) would otherwise run as one unbroken chain of microtasks across every lane: socket reads,
   * timers and journal flushes would wait for all of it. Lanes queue here in order.
   */
  private nextTurn(): Promise<void> {
    return new Promise((resolve) => {
      this.turnWaiters.push(resolve);
      if (this.turnScheduled) return;
      this.turnScheduled = true;
      setImmediate(() => this.releaseTurn());
    });
  }

  private releaseTurn(): void {
    this.turnScheduled = false;
    const waiting = this.turnWaiters.length - this.turnHead;
    const release = this.state === 'stopped' ? waiting : Math.min(waiting, WakeupsPerTurn);
    this.turnSends = 0;
    this.turnStarted = 0;
    for (let i = 0; i < release; i++) {
      const resolve = this.turnWaiters[this.turnHead]!;
      this.turnWaiters[this.turnHead++] = undefined as never;
      resolve();
    }
    if (this.turnHead === this.turnWaiters.length) {
      this.turnWaiters.length = 0;
      this.turnHead = 0;
    } else {
      this.turnScheduled = true;
      setImmediate(() => this.releaseTurn());
    }
  }

  /** Deliver one message until it is finished (true) or the outbox stops (false; it stays pending). */
  private async deliver(live: Live, lane?: { items: Live[]; head: number }): Promise<boolean> {
    const { entry } = live;
    const signal = this.stopController.signal;
    try {
      while (live.next < entry.parts.length) {
        if (signal.aborted) return false;
        const served = this.adapters.get(live.to.platform) ?? (await this.adapterFor(live.to.platform));
        if (!served) return false;
        if (!served.limiter.unlimited && !(await served.limiter.acquire(entry.priority, signal))) return false;
        live.attempts++;
        const companions = lane ? this.companions(served.adapter, live, lane) : NoCompanions;
        const result = await this.attempt(served.adapter, live, companions);
        if (result.type === 'delivered') {
          for (const companion of companions) this.finish(companion, true);
          live.next++;
          live.failures = 0;
          live.deferred = false;
          // Losing a progress record in a crash only means resending one part: no fsync of its own.
          if (live.next < entry.parts.length) {
            await this.journal.append([{ t: 'p', id: live.id, next: live.next }], { durable: false });
          }
          continue;
        }
        if (result.type === 'failed') return this.finish(live, false, result.reason);
        if (result.type === 'deferred') {
          if (!live.deferred) this.report(live, 'deferred', result.reason);
          live.deferred = true;
          await this.waitForWindow(live.to, signal);
          continue;
        }
        const age = Date.now() - entry.acceptedAt;
        if (age >= this.options.giveUpAfterMs) {
          const reason = `gave up after ${live.attempts} attempts over ${formatDuration(age)}: ${result.reason}`;
          return this.finish(live, false, reason);
        }
        live.failures++;
        this.report(live, 'retrying', result.reason);
        const delay = result.afterMs ?? backoffDelay(live.failures, {
          baseMs: this.options.retryBaseMs,
          maxMs: this.options.retryMaxMs,
          random: this.options.random,
        });
        await sleep(Math.max(0, delay), signal);
      }
      return this.finish(live, true);
    } catch (error) {
      // Only the journal can throw here (a full disk, say). The message stays pending for the next start.
      this.logger.error({ ...errorInfo(error), id: live.id }, 'could not record delivery progress');
      return false;
    }
  }

  /**
   * Messages waiting behind `live` in its lane that can ride along in one send, for adapters that
   * combine: untouched, single-part, and all together within the length limit.
   */
  private companions(adapter: Adapter, live: Live, lane: { items: Live[]; head: number }): readonly Live[] {
    if (!adapter.limits.combine || live.next !== 0 || live.entry.parts.length !== 1) return NoCompanions;
    const out: Live[] = [];
    let length = Array.from(live.entry.parts[0]!).length;
    for (let i = lane.head + 1; i < lane.items.length; i++) {
      const next = lane.items[i]!;
      if (next.done || next.next !== 0 || next.entry.parts.length !== 1) break;
      const add = 2 + Array.from(next.entry.parts[0]!).length;
      if (length + add > adapter.limits.maxTextLength) break;
      length += add;
      out.push(next);
    }
    return out;
  }

  private attempt(adapter: Adapter, live: Live, companions: readonly Live[]): Promise<SendResult> {
    const { entry } = live;
    const text = companions.length === 0 ? entry.parts[live.next]! : [entry.parts[0]!, ...companions.map((c) => c.entry.parts[0]!)].join('\n\n');
    // Not an async function: this runs once per message, and one promise fewer per send is measurable under fan-out.
    const thrown = (error: unknown): SendResult => {
      // An adapter that throws is treated like a network fault: transient.
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn({ ...errorInfo(error), id: live.id, adapter: adapter.name }, 'adapter threw while sending');
      return { type: 'retry', reason };
    };
    try {
      return adapter
        .send({
          id: entry.parts.length > 1 ? `${live.id}#${live.next + 1}` : live.id,
          to: live.to,
          text,
          attempt: live.failures + 1,
          ...(entry.replyContext !== undefined ? { replyContext: entry.replyContext } : {}),
        })
        .then(undefined, thrown);
    } catch (error) {
      return Promise.resolve(thrown(error));
    }
  }

  private finish(live: Live, ok: boolean, reason?: string): true {
    // Not awaited and not flushed on its own: losing a done record in a crash only repeats the message
    // once (delivery is at-least-once). Deliveries are collected and written once per event-loop turn.
    if (ok) this.recordDone(live.id);
    else {
      this.journal
        .append([{ t: 'd', id: live.id, ok, ...(reason !== undefined ? { reason } : {}) }], { durable: false })
        .catch((error: unknown) => this.logger.error({ ...errorInfo(error), id: live.id }, 'could not record a failure'));
    }
    this.untrack(live);
    if (!ok) this.logger.warn({ id: live.id, to: live.key, reason }, 'message failed permanently');
    this.report(live, ok ? 'delivered' : 'failed', reason);
    // Rewrite only when finished records outnumber live ones two to one, so the cost of copying what
    // is pending stays proportional to what was finished (amortised O(1) per message).
    if (++this.finishedSinceCompact >= this.options.compactAfter && this.finishedSinceCompact > 2 * this.pending.size) {
      this.finishedSinceCompact = 0;
      this.journal
        .compact(() => this.snapshot())
        .catch((error: unknown) => this.logger.error(errorInfo(error), 'could not compact the outbox journal'));
    }
    return true;
  }

  private recordDone(id: string): void {
    this.delivered.push(id);
    if (this.doneFlushScheduled) return;
    this.doneFlushScheduled = true;
    setImmediate(() => void this.flushDone());
  }

  private async flushDone(): Promise<void> {
    this.doneFlushScheduled = false;
    if (this.delivered.length === 0) return;
    const ids = this.delivered;
    this.delivered = [];
    await this.journal
      .append([{ t: 'D', ids }], { durable: false })
      .catch((error: unknown) => this.logger.error({ ...errorInfo(error), count: ids.length }, 'could not record deliveries'));
  }

  private report(live: Live, status: DeliveryReport['status'], reason?: string): void {
    if (!this.deliveriesSubject.observed) return;
    this.deliveriesSubject.next({
      id: live.id,
      to: live.to,
      status,
      final: status === 'delivered' || status === 'failed',
      attempts: live.attempts,
      parts: live.entry.parts.length,
      at: Date.now(),
      ...(reason !== undefined ? { reason } : {}),
    });
  }

  /** What is pending, as journal records in acceptance order; multicast members still untouched stay one record. */
  private snapshot(): OutboxRecord[] {
    const slots: (Live | Live[])[] = [];
    const groups = new Map<Body, Live[]>();
    for (const live of this.pending) {
      if (live.next > 0 || live.entry.replyContext !== undefined || live.entry.dedupeKey !== undefined) {
        slots.push(live);
        continue;
      }
      const members = groups.get(live.entry);
      if (members) members.push(live);
      else {
        const fresh = [live];
        groups.set(live.entry, fresh);
        slots.push(fresh);
      }
    }
    return slots.map((slot) => {
      const live = Array.isArray(slot) ? (slot.length === 1 ? slot[0]! : undefined) : slot;
      if (!live) return groupRecord(slot as Live[]);
      return { t: 'a', e: entryOf(live), ...(live.next > 0 ? { next: live.next } : {}) };
    });
  }

  /**
   * The lane key of an address. Callers that fan out reuse one address object per chat; its key is
   * then one string whose hash the lane map computes once, rather than a fresh string per message.
   */
  private laneKey(to: Address): string {
    let key = this.laneKeys.get(to);
    if (key === undefined) {
      key = addressKey(to);
      this.laneKeys.set(to, key);
    }
    return key;
  }

  private track(live: Live): void {
    this.pending.add(live);
    if (live.entry.dedupeKey) this.dedupe.set(`${live.key}\u0000${live.entry.dedupeKey}`, live);
  }

  private untrack(live: Live): void {
    live.done = true;
    this.pending.delete(live);
    if (live.entry.dedupeKey) this.dedupe.delete(`${live.key}\u0000${live.entry.dedupeKey}`);
  }

  private async adapterFor(platform: string): Promise<{ adapter: Adapter; limiter: RateLimiter } | undefined> {
    const signal = this.stopController.signal;
    while (!signal.aborted) {
      const served = this.adapters.get(platform);
      if (served) return served;
      await new Promise<void>((resolve) => {
        const list = this.adapterWaiters.get(platform) ?? [];
        list.push(resolve);
        this.adapterWaiters.set(platform, list);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    return undefined;
  }

  private waitForWindow(to: Address, signal: AbortSignal): Promise<void> {
    const key = addressKey(to);
    return new Promise((resolve) => {
      const waiters = this.windowWaiters.get(key) ?? new Set();
      this.windowWaiters.set(key, waiters);
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0) this.windowWaiters.delete(key);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, this.options.deferredRecheckMs);
      waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private wakeWindow(address: Address): void {
    for (const wake of [...(this.windowWaiters.get(addressKey(address)) ?? [])]) wake();
  }
}

function newLive(entry: OutboxEntry, next = 0, body?: Body): Live {
  const { id, to, ...rest } = entry;
  return { id, to, entry: body ?? rest, key: addressKey(to), done: false, next, attempts: 0, failures: 0, deferred: false };
}

/** The journal form of one message. */
function entryOf(live: Live): OutboxEntry {
  return { id: live.id, to: live.to, ...live.entry };
}

/** One journal record for the members of a multicast (they share everything but id and destination). */
function groupRecord(members: readonly Live[]): OutboxRecord {
  const { parts, priority, createdAt, acceptedAt } = members[0]!.entry;
  return {
    t: 'm',
    ids: members.map((m) => m.id),
    to: members.map((m) => m.to),
    parts,
    priority,
    createdAt,
    acceptedAt,
  };
}

function assertAddress(to: Address | undefined): void {
  if (!to || typeof to.platform !== 'string' || typeof to.id !== 'string' || to.platform === '' || to.id === '') {
    throw new TypeError('message has no valid destination (to.platform and to.id are required)');
  }
  if (!['user', 'group', 'channel', 'dm'].includes(to.kind)) {
    throw new TypeError(`destination kind must be user, group, channel or dm (got "${String(to.kind)}")`);
  }
}
