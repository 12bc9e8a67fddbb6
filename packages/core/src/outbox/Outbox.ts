import { setMaxListeners } from 'node:events';
import { Subject, type Observable } from 'rxjs';
import { addressKey, assertAddress, type Address } from '../domain/address.js';
import type { Adapter } from '../domain/Adapter.js';
import type { OutboundMessage } from '../domain/messages.js';
import type { Store } from '../store/Store.js';
import { errorInfo, silentLogger, type Logger } from '../util/Logger.js';
import { sleep } from '../util/sleep.js';
import { definedOnly } from '../util/definedOnly.js';
import { LiveList } from '../util/LiveList.js';
import { Delivery } from './Delivery.js';
import type { SendingLane } from './SendingLane.js';
import { Destination } from './Destination.js';
import { OutboxJournal } from './OutboxJournal.js';
import { pending, SharedBodies, type Body, type Pending } from './Pending.js';
import { ServedAdapters } from './ServedAdapters.js';
import { splitText } from './splitText.js';
import { WindowWaits } from './WindowWaits.js';
import { OutboxCounters, RecentFinished, type FinishedMessage, type PlatformCounts } from './OutboxCounters.js';
import type { Accepted, DeliveryReport, FinalOutcome, FinalWatcher } from './types.js';

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
  /**
   * Rewrite the journal once this many finished messages have accumulated in it (and at least eight
   * times as many as are pending). @defaultValue 20000
   */
  readonly compactAfter?: number;
  /** Randomness for jitter; injectable for tests. */
  readonly random?: () => number;
}

/** A compaction waits until finished messages outnumber pending ones this many to one. */
const CompactRatio = 8;

/** Defaults of {@link OutboxOptions}. */
export const DefaultOutboxOptions = {
  retryBaseMs: 1000,
  retryMaxMs: 300_000,
  giveUpAfterMs: 86_400_000,
  deferredRecheckMs: 300_000,
  compactAfter: 20_000,
} as const satisfies Partial<OutboxOptions>;

const JournalName = 'outbox';

/**
 * The single way out. Every reply and alert is accepted here (persisted before the caller hears
 * "accepted"), then delivered per destination in acceptance order, at the adapter's rate, with
 * retries, retry-after, deferral until the platform opens a window, and a final report per message.
 */
export class Outbox {
  private readonly options: Required<Omit<OutboxOptions, 'logger' | 'store' | 'random'>> & { random: () => number };
  private readonly logger: Logger;
  private readonly journal: OutboxJournal;
  /** Accepted and not finished, in acceptance order (which a compacted journal keeps). */
  private readonly pending = new LiveList<Pending>();
  private readonly dedupe = new Map<string, Pending>();
  /** Messages someone waits to hear the end of (critical pages with a fallback), by id. */
  private readonly watchers = new Map<string, FinalWatcher>();
  private readonly adapters = new ServedAdapters(
    (address) => this.windows.wake(address),
    (platform) => this.windows.ready(platform),
  );
  private readonly windows: WindowWaits;
  private readonly deliveriesSubject = new Subject<DeliveryReport>();
  private readonly counters = new OutboxCounters();
  private recentFinished: RecentFinished | undefined;
  private readonly stopController = new AbortController();
  private readonly delivery: Delivery;
  private finishedSinceCompact = 0;
  private seq = 0;
  /** Counts enqueueMany calls, for marking lanes (see SendingLane.mark). */
  private batches = 0;
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
    this.journal = new OutboxJournal(options.store.journal(JournalName), this.logger);
    this.windows = new WindowWaits(this.options.deferredRecheckMs, (platform) => this.counters.of(platform).windowWaits++);
    // Every destination waiting on a retry timer or a reply window listens to this one signal.
    setMaxListeners(0, this.stopController.signal);
    this.delivery = new Delivery({
      adapters: this.adapters,
      journal: this.journal,
      windows: this.windows,
      logger: this.logger,
      signal: this.stopController.signal,
      options: this.options,
      finish: (item, ok, reason) => this.finish(item, ok, reason),
      report: (item, status, reason) => this.report(item, status, reason),
    });
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

  /** Totals per platform since start: accepted, delivered, failed, retried, deferred, reply-window waits. */
  counts(): Map<string, Readonly<PlatformCounts>> {
    return this.counters.snapshot();
  }

  /** Messages pending now, per platform. */
  pendingByPlatform(): Map<string, number> {
    const out = new Map<string, number>();
    for (const live of this.pending) out.set(live.to.platform, (out.get(live.to.platform) ?? 0) + 1);
    return out;
  }

  /**
   * The last messages that ended (and the last failures), newest first, once {@link keepRecent}
   * asked for them; empty before.
   */
  recent(): FinishedMessage[] {
    return this.recentFinished?.list() ?? [];
  }

  /** Remember the last `size` messages that end from now on (and half as many failures), for {@link recent}. */
  keepRecent(size = 100): void {
    this.recentFinished ??= new RecentFinished(size);
  }

  /** Destinations waiting for a reply window now, per platform. */
  windowWaiting(): Map<string, number> {
    return this.windows.waitingByPlatform();
  }

  /** Make an adapter a destination. @returns a disposer. */
  registerAdapter(adapter: Adapter): () => void {
    return this.adapters.register(adapter);
  }

  /** Read the journal: whatever was accepted and not finished before the last stop (or crash) is pending again. */
  async load(): Promise<number> {
    const { pending: items, stale } = await this.journal.replay();
    for (const item of items) this.track(item);
    if (stale) await this.journal.compact(() => this.pending);
    if (items.length > 0) this.logger.info({ pending: items.length }, 'resuming delivery of messages accepted before the restart');
    return items.length;
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
      this.delivery.dispatch(live, this.delivery.lanes.lane(live.key));
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
  enqueue(message: OutboundMessage): Promise<Accepted> {
    return this.accept([message], undefined).then(firstOf);
  }

  /**
   * Accept several messages at once (an alert fanned out to its recipients): all are checked
   * first — one bad message refuses the whole batch, and nothing is accepted — then persisted in
   * one journal append. Resolves, in input order, once they are persisted. With `onFinal`, each
   * newly accepted message is watched from the moment it is accepted (see {@link watch}), so no
   * outcome can slip past before the caller hears the ids.
   * @throws as {@link enqueue}.
   */
  enqueueMany(messages: readonly OutboundMessage[], options?: { readonly onFinal?: FinalWatcher }): Promise<Accepted[]> {
    return this.accept(messages, options?.onFinal);
  }

  /**
   * One text to many chats (an alert fanned out to its recipients): {@link enqueueMany} with the
   * messages made here, which share one body in the journal.
   */
  fanOut(
    text: string,
    to: readonly Address[],
    options?: { readonly priority?: OutboundMessage['priority']; readonly onFinal?: FinalWatcher },
  ): Promise<Accepted[]> {
    const priority = options?.priority ?? 'normal';
    return this.accept(
      to.map((address) => ({ to: address, text, priority })),
      options?.onFinal,
    );
  }

  /** The one way in: check every message, accept them in one journal append, then deliver. */
  private async accept(messages: readonly OutboundMessage[], onFinal: FinalWatcher | undefined): Promise<Accepted[]> {
    // A fan-out repeats one text object: its check is not repeated.
    let checked: string | undefined;
    for (const message of messages) {
      this.admissible(message, checked !== undefined && message.text === checked);
      checked = message.text;
    }
    if (messages.length === 0) return [];
    const now = Date.now();
    const results: Accepted[] = [];
    // Each message's lane is found here, once (from a Destination without any lookup), and marked
    // with this batch to find chats named twice.
    const batch = ++this.batches;
    const lanes = new Array<SendingLane>(messages.length);
    let distinct = true;
    for (let i = 0; i < messages.length; i++) {
      const lane = this.laneOf(messages[i]!.to);
      if (lane.mark === batch) distinct = false;
      lane.mark = batch;
      lanes[i] = lane;
    }
    // One text to many chats (an alert fanned out) shares one body, which the journal then writes
    // once with its list of destinations. Only when every chat appears once in the batch, so that
    // journal order cannot reorder any chat's messages.
    const shared = messages.length > 1 && distinct ? new SharedBodies() : undefined;
    const fresh: Pending[] = [];
    const freshLanes: SendingLane[] = [];
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      const key = lanes[i]!.key;
      const existing = this.pendingTwin(message, key);
      if (existing) {
        results.push(acceptedOf(existing, true));
        continue;
      }
      const shareable = message.replyContext === undefined && message.dedupeKey === undefined;
      let body = shareable ? shared?.find(message, now) : undefined;
      if (!body) {
        body = this.bodyOf(message, now);
        if (shareable) shared?.add(message, body);
      }
      const item = this.admit(message, key, body);
      this.counters.of(message.to.platform).accepted++;
      fresh.push(item);
      freshLanes.push(lanes[i]!);
      results.push(acceptedOf(item, false));
    }
    if (onFinal) for (const item of fresh) this.watchers.set(item.id, onFinal);
    try {
      await this.journal.accept(fresh);
    } catch (error) {
      for (const item of fresh) {
        this.untrack(item);
        this.watchers.delete(item.id);
      }
      throw error;
    }
    if (this.state === 'started') for (let i = 0; i < fresh.length; i++) this.delivery.dispatch(fresh[i]!, freshLanes[i]!);
    return results;
  }

  /**
   * Hear once how each of these pending messages ends (after a restart: call between {@link load}
   * and {@link start}, when nothing can finish unheard).
   * @returns the ids that are pending and now watched; the others are no longer pending.
   */
  watch(ids: Iterable<string>, onFinal: FinalWatcher): Set<string> {
    const wanted = new Set(ids);
    const found = new Set<string>();
    if (wanted.size === 0) return found;
    for (const live of this.pending) {
      if (!wanted.has(live.id) || live.done) continue;
      this.watchers.set(live.id, onFinal);
      found.add(live.id);
    }
    return found;
  }

  /**
   * Take back a pending message that has not gone out, such as a page already delivered on another
   * platform. Only a message that is not being sent right now can be taken back: one queued behind
   * others, or one waiting for a reply window. It is then recorded as finished (`withdrawn`, with
   * `reason`), reported, and never sent.
   * @returns whether it was withdrawn (false: unknown, finished, or already on its way).
   */
  withdraw(id: string, reason: string): boolean {
    for (const live of this.pending) {
      if (live.id !== id) continue;
      if (live.done || live.sending || (live.next > 0 && !live.deferred)) return false;
      const head = this.delivery.lanes.peek(live.key)?.at(0);
      if (head === live && !live.deferred) return false;
      this.finish(live, false, reason, 'withdrawn');
      return true;
    }
    return false;
  }

  /** The pending message with `message`'s dedupe key in the chat of lane key `key`, if any. */
  private pendingTwin(message: OutboundMessage, key: string): Pending | undefined {
    return message.dedupeKey ? this.dedupe.get(dedupeKeyOf(key, message.dedupeKey)) : undefined;
  }

  /** A new pending message, tracked from now on (its own copy of the address). */
  private admit(message: OutboundMessage, key: string, body: Body): Pending {
    // A Destination is immutable; any other address is copied, as its owner may reuse it.
    const to = this.isOwn(message.to) ? message.to : { platform: message.to.platform, kind: message.to.kind, id: message.to.id };
    const seq = this.seq++;
    const item = pending(this.journal.idOf(seq), to, body, 0, key, seq);
    this.track(item);
    return item;
  }

  private bodyOf(message: OutboundMessage, now: number): Body {
    const body: { -readonly [K in keyof Body]: Body[K] } = {
      parts: splitText(message.text, this.adapters.get(message.to.platform)?.adapter.limits.maxTextLength ?? Infinity),
      priority: message.priority ?? 'normal',
      createdAt: message.createdAt ?? now,
      acceptedAt: now,
    };
    // Assigned rather than spread: this runs for every reply.
    if (message.replyContext !== undefined) body.replyContext = message.replyContext;
    if (message.dedupeKey !== undefined) body.dedupeKey = message.dedupeKey;
    return body;
  }

  /** @throws as {@link enqueue} when the outbox cannot take `message` (`textChecked`: its text was found fine already). */
  private admissible(message: OutboundMessage, textChecked = false): void {
    if (this.state === 'stopped') throw new Error('the outbox is stopped and accepts no more messages');
    if (!this.isOwn(message.to)) assertAddress(message.to);
    if (!textChecked && (typeof message.text !== 'string' || message.text.trim() === '')) {
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
    this.delivery.stop();
    this.adapters.close();
    // Sends already handed to an adapter finish (and are journalled) before we let go of the store.
    for (let waited = 0; this.delivery.running > 0 && waited < 10_000; waited += 10) await sleep(10);
    await this.journal.flush();
    this.deliveriesSubject.complete();
  }

  private finish(item: Pending, ok: boolean, reason?: string, how: FinalOutcome = ok ? 'delivered' : 'failed'): true {
    // A withdrawn message that rode along in a combined send is finished already.
    if (item.done) return true;
    // Not awaited and not flushed on its own: losing a done record in a crash only repeats the message
    // once (delivery is at-least-once).
    if (ok) this.journal.deliveredOne(item);
    else this.journal.failed(item.id, how === 'withdrawn' ? `withdrawn: ${reason ?? ''}` : reason);
    this.untrack(item);
    if (how === 'failed') this.logger.warn({ id: item.id, to: item.key, reason }, 'message failed permanently');
    this.report(item, how, reason);
    if (this.watchers.size !== 0) this.tellWatcher(item.id, how, reason);
    // Rewrite only when finished records outnumber pending ones eight to one, so the cost of copying
    // what is pending stays a small fraction of what was finished (amortised O(1) per message). Each
    // rewrite serialises every pending message and makes the store replace a file; eight to one
    // rather than two to one took the fan-out benchmark at P = 0.2 from ~79,000 to ~113,000
    // notifications/s flat out (when a rewrite still held back appends).
    if (++this.finishedSinceCompact >= this.options.compactAfter && this.finishedSinceCompact > CompactRatio * this.pending.size) {
      this.finishedSinceCompact = 0;
      this.journal
        .compact(() => this.pending)
        .catch((error: unknown) => this.logger.error(errorInfo(error), 'could not compact the outbox journal'));
    }
    return true;
  }

  private tellWatcher(id: string, how: FinalOutcome, reason: string | undefined): void {
    const watcher = this.watchers.get(id);
    if (!watcher) return;
    this.watchers.delete(id);
    try {
      watcher(id, how, reason);
    } catch (error) {
      this.logger.error({ ...errorInfo(error), id }, 'a delivery watcher threw');
    }
  }

  private report(item: Pending, status: DeliveryReport['status'], reason?: string): void {
    const counts = this.counters.of(item.to.platform);
    if (status === 'retrying') counts.retried++;
    else counts[status]++;
    if (this.recentFinished && (status === 'delivered' || status === 'failed' || status === 'withdrawn')) {
      this.recentFinished.add(item.id, item.to, status, reason, item.attempts, item.body.parts.length);
    }
    if (!this.deliveriesSubject.observed) return;
    this.deliveriesSubject.next({
      id: item.id,
      to: item.to,
      status,
      final: status === 'delivered' || status === 'failed' || status === 'withdrawn',
      attempts: item.attempts,
      parts: item.body.parts.length,
      at: Date.now(),
      ...(reason !== undefined ? { reason } : {}),
    });
  }

  /**
   * A destination for sending to `address` again and again: checked once, here, and then sent to
   * without a check, key or lookup per message (see {@link Destination}). Callers that fan out to
   * the same chats keep one per chat; any address works with {@link enqueue} and {@link enqueueMany}.
   * @throws TypeError for a malformed address.
   */
  destination(address: Address): Destination {
    return new Destination(address, this.delivery.lanes);
  }

  private isOwn(to: Address): to is Destination {
    return to instanceof Destination && to.of(this.delivery.lanes);
  }

  private laneOf(to: Address): SendingLane {
    return this.isOwn(to) ? to.laneNow() : this.delivery.lanes.lane(addressKey(to));
  }

  private track(item: Pending): void {
    this.pending.add(item);
    if (item.body.dedupeKey) this.dedupe.set(dedupeKeyOf(item.key, item.body.dedupeKey), item);
  }

  private untrack(item: Pending): void {
    item.done = true;
    this.pending.delete(item);
    if (item.body.dedupeKey) this.dedupe.delete(dedupeKeyOf(item.key, item.body.dedupeKey));
  }
}

function firstOf(accepted: Accepted[]): Accepted {
  return accepted[0]!;
}

/** What the caller of enqueue hears about `item`: newly accepted, or the pending twin of its message. */
function acceptedOf(item: Pending, duplicate: boolean): Accepted {
  return { id: item.id, parts: item.body.parts.length, duplicate };
}

/** Where a pending message with a dedupe key is found: its chat's lane key and the dedupe key. */
function dedupeKeyOf(laneKey: string, dedupeKey: string): string {
  return `${laneKey}\u0000${dedupeKey}`;
}
