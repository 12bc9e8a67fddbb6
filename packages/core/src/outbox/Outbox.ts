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

interface Live {
  readonly entry: OutboxEntry;
  next: number;
  attempts: number;
  failures: number;
  deferred: boolean;
}

const JournalName = 'outbox';

/**
 * The single way out. Every reply and alert is accepted here (persisted before the caller hears
 * "accepted"), then delivered per destination in acceptance order, at the adapter's rate, with
 * retries, retry-after, deferral until the platform opens a window, and a final report per message.
 */
export class Outbox {
  private readonly options: Required<Omit<OutboxOptions, 'logger' | 'store' | 'random'>> & { random: () => number };
  private readonly logger: Logger;
  private readonly journal: Journal;
  private readonly pending = new Map<string, Live>();
  private readonly dedupe = new Map<string, string>();
  private readonly adapters = new Map<string, { adapter: Adapter; limiter: RateLimiter; sub?: Subscription }>();
  private readonly adapterWaiters = new Map<string, (() => void)[]>();
  private readonly windowWaiters = new Map<string, Set<() => void>>();
  /** Per-destination FIFO lanes; a lane exists while its destination has something to deliver. */
  private readonly lanes = new Map<string, { items: Live[]; head: number }>();
  private readonly deliveriesSubject = new Subject<DeliveryReport>();
  private readonly stopController = new AbortController();
  private inflight = 0;
  private finishedSinceCompact = 0;
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
    for (const live of this.pending.values()) if (live.deferred) held.add(addressKey(live.entry.to));
    if (held.size === 0) return 0;
    let n = 0;
    for (const live of this.pending.values()) if (held.has(addressKey(live.entry.to))) n++;
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
    for (const record of records) {
      switch (record?.t) {
        case 'a':
          if (!live.has(record.e.id)) {
            live.set(record.e.id, { entry: record.e, next: record.next ?? 0, attempts: 0, failures: 0, deferred: false });
          }
          break;
        case 'p': {
          const item = live.get(record.id);
          if (item) item.next = Math.max(item.next, record.next);
          break;
        }
        case 'd':
          live.delete(record.id);
          break;
        default:
          this.logger.warn({ record }, 'skipping unknown outbox journal record');
      }
    }
    for (const [id, item] of live) this.track(id, item);
    if (records.length > live.size) await this.journal.compact(() => this.snapshot());
    if (live.size > 0) this.logger.info({ pending: live.size }, 'resuming delivery of messages accepted before the restart');
    return live.size;
  }

  /** Begin delivering: everything pending, then everything accepted from now on. */
  start(): void {
    if (this.state !== 'new') throw new Error(`outbox cannot start: it is ${this.state}`);
    this.state = 'started';
    const orphaned = new Map<string, number>();
    for (const live of this.pending.values()) {
      if (!this.adapters.has(live.entry.to.platform)) {
        orphaned.set(live.entry.to.platform, (orphaned.get(live.entry.to.platform) ?? 0) + 1);
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
    const now = Date.now();
    const results: Accepted[] = [];
    const fresh: Live[] = [];
    const records: OutboxRecord[] = [];
    for (const message of messages) {
      const key = message.dedupeKey ? `${addressKey(message.to)}\u0000${message.dedupeKey}` : undefined;
      const existing = key ? this.dedupe.get(key) : undefined;
      if (existing) {
        results.push({ id: existing, parts: this.pending.get(existing)?.entry.parts.length ?? 0, duplicate: true });
        continue;
      }
      const entry: { -readonly [K in keyof OutboxEntry]: OutboxEntry[K] } = {
        id: `${now.toString(36)}-${(this.seq++).toString(36)}`,
        to: { platform: message.to.platform, kind: message.to.kind, id: message.to.id },
        parts: splitText(message.text, this.adapters.get(message.to.platform)?.adapter.limits.maxTextLength ?? Infinity),
        priority: message.priority ?? 'normal',
        createdAt: message.createdAt ?? now,
        acceptedAt: now,
      };
      if (message.replyContext !== undefined) entry.replyContext = message.replyContext;
      if (message.dedupeKey !== undefined) entry.dedupeKey = message.dedupeKey;
      const live: Live = { entry, next: 0, attempts: 0, failures: 0, deferred: false };
      this.track(entry.id, live);
      fresh.push(live);
      records.push({ t: 'a', e: entry });
      results.push({ id: entry.id, parts: entry.parts.length, duplicate: false });
    }
    try {
      await this.journal.append(records);
    } catch (error) {
      for (const live of fresh) this.untrack(live.entry.id);
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
    this.deliveriesSubject.complete();
  }

  /**
   * Queue a message on its destination's lane, starting the lane when it was idle. One loop per
   * active destination keeps acceptance order there, while destinations proceed independently.
   * (A plain lane rather than groupBy + concatMap: fan-out reaches thousands of destinations, and an
   * RxJS group per destination would live, and allocate per message, forever.)
   */
  private dispatch(live: Live): void {
    const key = addressKey(live.entry.to);
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
        // Already delivered as part of a combined send.
        const finished = !this.pending.has(live.entry.id) || (await this.deliver(live, lane));
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

  /** Deliver one message until it is finished (true) or the outbox stops (false; it stays pending). */
  private async deliver(live: Live, lane?: { items: Live[]; head: number }): Promise<boolean> {
    const { entry } = live;
    const signal = this.stopController.signal;
    try {
      while (live.next < entry.parts.length) {
        if (signal.aborted) return false;
        const served = this.adapters.get(entry.to.platform) ?? (await this.adapterFor(entry.to.platform));
        if (!served) return false;
        if (!served.limiter.unlimited && !(await served.limiter.acquire(entry.priority, signal))) return false;
        live.attempts++;
        const companions = lane ? this.companions(served.adapter, live, lane) : [];
        const result = await this.attempt(served.adapter, live, companions);
        if (result.type === 'delivered') {
          for (const companion of companions) this.finish(companion, true);
          live.next++;
          live.failures = 0;
          live.deferred = false;
          // Losing a progress record in a crash only means resending one part: no fsync of its own.
          if (live.next < entry.parts.length) {
            await this.journal.append([{ t: 'p', id: entry.id, next: live.next }], { durable: false });
          }
          continue;
        }
        if (result.type === 'failed') return this.finish(live, false, result.reason);
        if (result.type === 'deferred') {
          if (!live.deferred) this.report(live, 'deferred', result.reason);
          live.deferred = true;
          await this.waitForWindow(entry.to, signal);
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
      this.logger.error({ ...errorInfo(error), id: entry.id }, 'could not record delivery progress');
      return false;
    }
  }

  /**
   * Messages waiting behind `live` in its lane that can ride along in one send, for adapters that
   * combine: untouched, single-part, and all together within the length limit.
   */
  private companions(adapter: Adapter, live: Live, lane: { items: Live[]; head: number }): Live[] {
    if (!adapter.limits.combine || live.next !== 0 || live.entry.parts.length !== 1) return [];
    const out: Live[] = [];
    let length = Array.from(live.entry.parts[0]!).length;
    for (let i = lane.head + 1; i < lane.items.length; i++) {
      const next = lane.items[i]!;
      if (!this.pending.has(next.entry.id) || next.next !== 0 || next.entry.parts.length !== 1) break;
      const add = 2 + Array.from(next.entry.parts[0]!).length;
      if (length + add > adapter.limits.maxTextLength) break;
      length += add;
      out.push(next);
    }
    return out;
  }

  private async attempt(adapter: Adapter, live: Live, companions: readonly Live[] = []): Promise<SendResult> {
    const { entry } = live;
    const text = companions.length === 0 ? entry.parts[live.next]! : [entry.parts[0]!, ...companions.map((c) => c.entry.parts[0]!)].join('\n\n');
    try {
      return await adapter.send({
        id: entry.parts.length > 1 ? `${entry.id}#${live.next + 1}` : entry.id,
        to: entry.to,
        text,
        attempt: live.failures + 1,
        ...(entry.replyContext !== undefined ? { replyContext: entry.replyContext } : {}),
      });
    } catch (error) {
      // An adapter that throws is treated like a network fault: transient.
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn({ ...errorInfo(error), id: entry.id, adapter: adapter.name }, 'adapter threw while sending');
      return { type: 'retry', reason };
    }
  }

  private finish(live: Live, ok: boolean, reason?: string): true {
    const { entry } = live;
    // Not awaited and not flushed on its own: journal writes stay in order, and losing this record in a
    // crash only repeats the message once (delivery is at-least-once).
    this.journal
      .append([{ t: 'd', id: entry.id, ok, ...(reason !== undefined ? { reason } : {}) }], { durable: false })
      .catch((error: unknown) => this.logger.error({ ...errorInfo(error), id: entry.id }, 'could not record a delivery'));
    this.untrack(entry.id);
    if (!ok) this.logger.warn({ id: entry.id, to: addressKey(entry.to), reason }, 'message failed permanently');
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

  private report(live: Live, status: DeliveryReport['status'], reason?: string): void {
    if (!this.deliveriesSubject.observed) return;
    this.deliveriesSubject.next({
      id: live.entry.id,
      to: live.entry.to,
      status,
      final: status === 'delivered' || status === 'failed',
      attempts: live.attempts,
      parts: live.entry.parts.length,
      at: Date.now(),
      ...(reason !== undefined ? { reason } : {}),
    });
  }

  private snapshot(): OutboxRecord[] {
    return [...this.pending.values()].map((live) => ({ t: 'a', e: live.entry, ...(live.next > 0 ? { next: live.next } : {}) }));
  }

  private track(id: string, live: Live): void {
    this.pending.set(id, live);
    if (live.entry.dedupeKey) this.dedupe.set(`${addressKey(live.entry.to)}\u0000${live.entry.dedupeKey}`, id);
  }

  private untrack(id: string): void {
    const live = this.pending.get(id);
    this.pending.delete(id);
    if (live?.entry.dedupeKey) this.dedupe.delete(`${addressKey(live.entry.to)}\u0000${live.entry.dedupeKey}`);
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

function assertAddress(to: Address | undefined): void {
  if (!to || typeof to.platform !== 'string' || typeof to.id !== 'string' || to.platform === '' || to.id === '') {
    throw new TypeError('message has no valid destination (to.platform and to.id are required)');
  }
  if (!['user', 'group', 'channel', 'dm'].includes(to.kind)) {
    throw new TypeError(`destination kind must be user, group, channel or dm (got "${String(to.kind)}")`);
  }
}
