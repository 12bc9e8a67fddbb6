import { fill, type MessageParams } from '../i18n/Catalog.js';
import { en } from '../i18n/en.js';
import type { Subscription } from 'rxjs';
import { addressKey, type Address } from '../domain/address.js';
import type { Adapter } from '../domain/Adapter.js';
import type { OutboundMessage, Priority } from '../domain/messages.js';
import type { Destination } from '../outbox/Destination.js';
import type { Outbox } from '../outbox/Outbox.js';
import type { FinalOutcome } from '../outbox/types.js';
import type { Store } from '../store/Store.js';
import type { NotifyChoice, User } from '../users/User.js';
import type { UserDirectory } from '../users/UserDirectory.js';
import { formatDuration } from '../util/duration.js';
import { errorInfo, silentLogger, type Logger } from '../util/Logger.js';
import { detach } from '../util/detach.js';
import { PageBook, type Page } from './PageBook.js';

/** Options of {@link Notifier}. */
export interface NotifierOptions {
  readonly directory: UserDirectory;
  readonly outbox: Outbox;
  readonly adapters: readonly Adapter[];
  readonly store: Store;
  readonly logger?: Logger;
  /**
   * A critical notification not delivered on the platform it went to within this long also goes
   * out on the person's next platform. @defaultValue 300000 (5 min)
   */
  readonly fallbackAfterMs?: number;
  /** Where notifications go for people who chose nothing. @defaultValue 'last' */
  readonly defaultChoice?: NotifyChoice;
  /** Renders the fallback note in a person's language. @defaultValue English */
  readonly say?: (user: User | undefined, key: string, params?: MessageParams) => string;
}

/**
 * One person's ways to be reached, worked out from their identities and choice. Opaque to callers
 * beyond the addresses: they keep it (the relay, per routing member) and hand it back to
 * {@link NotifyBatch.add}. (The notifier makes the addresses as the outbox's destinations, so a
 * fan-out needs no lookup per recipient; that stays the notifier's and the outbox's business.)
 */
export interface NotifyRoute {
  /** Where a notification goes now: one chat, or one per platform for `all`. */
  readonly send: readonly Address[];
  /** Where a critical page goes next, in order, if `send` does not deliver it in time. */
  readonly fallback: readonly Address[];
}

/** What {@link Notifier.notify} is asked to send. */
export interface NotifyOptions {
  readonly priority?: Priority;
  /** A critical page: it falls back to the person's next platform if not delivered in time. */
  readonly critical?: boolean;
  /** While a message with this key waits in the outbox for the same chat, another is not added (a page decided again after a crash). */
  readonly dedupeKey?: string;
}

/** A page's due time when there is no platform left to try. */
const Never = Number.MAX_SAFE_INTEGER;

const NoRoute: NotifyRoute = Object.freeze({ send: Object.freeze([]), fallback: Object.freeze([]) });

/**
 * Reaches people where they are. The core asks each adapter where an identity can be reached
 * ({@link Adapter.addressFor}); the person's choice (`notify last|all|<platform>`) picks among
 * those chats; and a critical page that the chosen platform has not delivered within
 * `fallbackAfterMs` also goes out on the next one, saying so. Each page goes at most once to each
 * platform, and once any copy is delivered the others still waiting are withdrawn. Pages being
 * watched are kept in the store, so a restart resumes their fallback.
 */
export class Notifier {
  private readonly logger: Logger;
  private readonly fallbackAfterMs: number;
  private readonly defaultChoice: NotifyChoice;
  private readonly routes = new WeakMap<User, { readonly generation: number; readonly route: NotifyRoute }>();
  private readonly destinations = new Map<string, Destination>();
  private gen = 0;
  private readonly book: PageBook;
  /** Page of each copy being watched, by outbox id. */
  private readonly copyOf = new Map<string, Page>();
  /** Outcomes that arrived before their page was written down. */
  private readonly early = new Map<string, { outcome: FinalOutcome; reason: string | undefined }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly subscriptions = new Map<Adapter, Subscription | undefined>();
  private stopped = false;

  constructor(private readonly options: NotifierOptions) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'notifier' });
    this.fallbackAfterMs = options.fallbackAfterMs ?? 300_000;
    this.defaultChoice = options.defaultChoice ?? 'last';
    this.book = new PageBook(options.store.journal('pages'));
  }

  /** Platforms the bridge runs, in the order of its adapters. */
  get platforms(): string[] {
    return this.options.adapters.map((a) => a.name);
  }

  /**
   * Read the pages still watched before the last stop, and watch their copies again. Call after the
   * outbox has loaded its journal and before it starts.
   */
  async load(): Promise<void> {
    const pages = await this.book.load();
    for (const page of pages) {
      const ids = page.copies.map((c) => c.id);
      const found = this.options.outbox.watch(ids, (id, outcome, reason) => this.onFinal(id, outcome, reason));
      page.copies = page.copies.filter((c) => found.has(c.id));
      if (page.copies.length === 0) {
        // Every copy finished while we were away (delivered, most likely): nothing to watch.
        await this.book.end(page);
        continue;
      }
      for (const copy of page.copies) this.copyOf.set(copy.id, page);
    }
    if (this.copyOf.size > 0) this.logger.info({ pages: this.book.size }, 'watching critical pages from before the restart');
  }

  /** Changes whenever cached routes may be stale (an adapter's addresses changed). */
  get generation(): number {
    return this.gen;
  }

  /** Arm the fallback timer. */
  start(): void {
    this.schedule();
  }

  /**
   * The bridge's adapters changed (`adapters` is its live list): routes are worked out again, and
   * again whenever a listed adapter's addresses change.
   */
  refresh(): void {
    this.gen++;
    for (const [known, sub] of this.subscriptions) {
      if (this.options.adapters.includes(known)) continue;
      sub?.unsubscribe();
      this.subscriptions.delete(known);
    }
    for (const adapter of this.options.adapters) {
      if (!this.subscriptions.has(adapter)) this.subscriptions.set(adapter, adapter.addressChanges$?.subscribe(() => this.gen++));
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const sub of this.subscriptions.values()) sub?.unsubscribe();
    this.subscriptions.clear();
  }

  /** What `whoami` shows: the choice and where it leads now (in English, or through `say` in the reader's language). */
  describe(user: User, say: (key: string, params?: MessageParams) => string = englishDescribe): string {
    const choice = user.notify ?? this.defaultChoice;
    const route = this.route(user);
    const now = route.send.map((d) => d.platform).join(', ') || say('notify.nowhere');
    const last = choice === 'last' ? (user.lastPlatform ? say('notify.lastFrom', { platform: user.lastPlatform }) : say('notify.notYet')) : '';
    return say('notify.describe', { choice, now, last });
  }

  /** Platforms where `user` can be reached, in the order of their identities. */
  reachable(user: User): string[] {
    return this.candidates(user).map((d) => d.platform);
  }

  /**
   * Where `user`'s notifications go, cached per user object (the directory replaces users when they
   * change) until an adapter reports that its addresses changed.
   */
  route(user: User): NotifyRoute {
    const cached = this.routes.get(user);
    if (cached && cached.generation === this.gen) return cached.route;
    const route = this.resolve(user);
    this.routes.set(user, { generation: this.gen, route });
    return route;
  }

  /**
   * Send each user their text (`texts[i]` for `users[i]`, or one text for all) in one outbox batch.
   * Critical pages to people reachable on more than one platform are watched for the fallback.
   * @returns the users it was accepted for (the unreachable are left out).
   */
  async notify(users: readonly User[], texts: string | readonly string[], options: NotifyOptions = {}): Promise<User[]> {
    const batch = this.batch(options);
    const reached: User[] = [];
    for (let i = 0; i < users.length; i++) {
      const user = users[i]!;
      if (batch.add(user, this.route(user), typeof texts === 'string' ? texts : texts[i]!)) reached.push(user);
    }
    await batch.send();
    return reached;
  }

  /**
   * A batch of notifications sent as one outbox append: {@link NotifyBatch.add} each person with
   * their route (from {@link route}, or kept by a caller that fans out to the same people again and
   * again), then {@link NotifyBatch.send}.
   */
  batch(options: NotifyOptions = {}): NotifyBatch {
    return new NotifyBatch(this, options.priority ?? 'normal', options.critical === true, options.dedupeKey);
  }

  /** Send a batch's messages; watch its critical pages for their fallback. @internal */
  async sendBatch(messages: OutboundMessage[], watched: readonly WatchedPage[], priority: Priority): Promise<void> {
    if (messages.length === 0) return;
    if (watched.length === 0) {
      await this.options.outbox.enqueueMany(messages);
      return;
    }
    const accepted = await this.options.outbox.enqueueMany(messages, { onFinal: (id, outcome, reason) => this.onFinal(id, outcome, reason) });
    const due = Date.now() + this.fallbackAfterMs;
    for (const { user, text, at, route } of watched) {
      const copy = accepted[at]!;
      if (copy.duplicate) continue;
      const to = route.send[0]!;
      await this.track({
        user: user.name,
        text,
        priority,
        due,
        tried: [to.platform],
        copies: [{ id: copy.id, platform: to.platform }],
      });
    }
  }

  private async track(page: Page): Promise<void> {
    for (const copy of page.copies) this.copyOf.set(copy.id, page);
    try {
      await this.book.write(page);
    } catch (error) {
      // The page itself is in the outbox; only its fallback would not survive a restart.
      this.logger.error({ ...errorInfo(error), user: page.user }, 'could not record a critical page for its fallback');
    }
    for (const copy of [...page.copies]) {
      const early = this.early.get(copy.id);
      if (early) {
        this.early.delete(copy.id);
        this.onFinal(copy.id, early.outcome, early.reason);
      }
    }
    this.schedule();
  }

  /** A watched copy ended. */
  private onFinal(id: string, outcome: FinalOutcome, reason: string | undefined): void {
    const page = this.copyOf.get(id);
    if (!page) {
      this.early.set(id, { outcome, reason });
      return;
    }
    this.copyOf.delete(id);
    const platform = page.copies.find((c) => c.id === id)?.platform ?? 'another platform';
    page.copies = page.copies.filter((c) => c.id !== id);
    if (outcome === 'delivered') {
      // Found them: what still waits elsewhere would only page them twice.
      for (const other of page.copies) {
        this.copyOf.delete(other.id);
        this.options.outbox.withdraw(other.id, `delivered on ${platform} already`);
      }
      page.copies = [];
      this.end(page);
      return;
    }
    if (outcome === 'withdrawn') {
      if (page.copies.length === 0) this.end(page);
      return;
    }
    // Failed for good on that platform: try the next one now rather than after the wait.
    this.logger.warn({ user: page.user, reason }, 'a critical page failed on one platform; trying the next');
    page.due = Date.now();
    this.save(page);
    this.schedule();
  }

  private end(page: Page): void {
    this.book.end(page).catch((error: unknown) => this.logger.error(errorInfo(error), 'could not record the end of a critical page'));
  }

  private save(page: Page): void {
    this.book.write(page).catch((error: unknown) => this.logger.error(errorInfo(error), 'could not record a critical page'));
  }

  /** Arm the timer for the earliest page due. */
  private schedule(): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    let next = Never;
    for (const page of this.book.pages()) if (page.due < next) next = page.due;
    if (next === Never) return;
    this.timer = setTimeout(() => detach(this.fallBack(), (error) => this.logger.error(errorInfo(error), 'notification fallback failed')), Math.max(0, next - Date.now()));
    this.timer.unref?.();
  }

  /** Send every page that is due to the next platform it has not been to. */
  private async fallBack(): Promise<void> {
    const now = Date.now();
    for (const page of this.book.pages()) {
      if (page.due > now || this.stopped) continue;
      await this.fallBackOne(page, now).catch((error: unknown) =>
        this.logger.error({ ...errorInfo(error), user: page.user }, 'could not send a critical page on another platform'),
      );
    }
    this.schedule();
  }

  private async fallBackOne(page: Page, now: number): Promise<void> {
    const user = this.options.directory.get(page.user);
    const next = user ? this.candidates(user).find((d) => !page.tried.includes(d.platform)) : undefined;
    if (!next) {
      // Nowhere else to go: the copies already queued keep waiting; nothing more to do here.
      page.due = Never;
      if (page.copies.length === 0) {
        this.logger.error({ user: page.user }, 'a critical page could not be delivered on any platform');
        await this.book.end(page);
      } else {
        await this.book.write(page);
      }
      return;
    }
    const before = page.tried[page.tried.length - 1]!;
    const say = this.options.say ?? ((_user: User | undefined, key: string, params?: MessageParams) => englishDescribe(key, params));
    const waited = page.copies.length > 0 ? say(user, 'notify.fallback.late', { platform: before, duration: formatDuration(this.fallbackAfterMs) }) : say(user, 'notify.fallback.failed', { platform: before });
    const text = `${say(user, 'notify.fallback', { platform: next.platform, why: waited })}\n${page.text}`;
    const [copy] = await this.options.outbox.enqueueMany([{ to: next, text, priority: page.priority }], {
      onFinal: (id, outcome, reason) => this.onFinal(id, outcome, reason),
    });
    page.tried = [...page.tried, next.platform];
    page.copies = [...page.copies, { id: copy!.id, platform: next.platform }];
    page.due = now + this.fallbackAfterMs;
    this.logger.info({ user: page.user, from: before, to: next.platform }, 'critical page not delivered in time; also sending it on the next platform');
    await this.track(page);
  }

  private resolve(user: User): NotifyRoute {
    const candidates = this.candidates(user);
    if (candidates.length === 0) return NoRoute;
    const choice = user.notify ?? this.defaultChoice;
    if (choice === 'all') return { send: candidates, fallback: [] };
    const wanted = choice === 'last' ? user.lastPlatform : choice;
    const chosen = candidates.find((d) => d.platform === wanted) ?? candidates[0]!;
    return { send: [chosen], fallback: candidates.filter((d) => d !== chosen) };
  }

  /** One chat per platform the bridge runs, for the first of the user's identities there that the adapter can reach. */
  private candidates(user: User): Destination[] {
    const out: Destination[] = [];
    for (const identity of user.identities) {
      const adapter = this.options.adapters.find((a) => a.name === identity.platform);
      if (!adapter || out.some((d) => d.platform === identity.platform)) continue;
      try {
        const address = adapter.addressFor(identity);
        if (address) out.push(this.destination(address));
      } catch (error) {
        // Left out rather than refusing the whole batch of every update they would be part of.
        this.logger.warn({ ...errorInfo(error), user: user.name, platform: identity.platform }, 'no valid address for an identity; not using it');
      }
    }
    return out;
  }

  private destination(address: Address): Destination {
    const key = addressKey(address);
    let destination = this.destinations.get(key);
    if (!destination) {
      destination = this.options.outbox.destination(address);
      this.destinations.set(key, destination);
    }
    return destination;
  }
}

/** A critical page in a batch: whose, and where its first message is. */
interface WatchedPage {
  readonly user: User;
  readonly text: string;
  readonly at: number;
  readonly route: NotifyRoute;
}

/** See {@link Notifier.batch}. One message object per chat, nothing else per person. */
export class NotifyBatch {
  private readonly messages: OutboundMessage[] = [];
  private readonly watched: WatchedPage[] = [];

  constructor(
    private readonly notifier: Notifier,
    private readonly priority: Priority,
    private readonly critical: boolean,
    private readonly dedupeKey?: string,
  ) {}

  /** Add one person's notification. @returns false when the route reaches nowhere. */
  add(user: User, route: NotifyRoute, text: string): boolean {
    const { send } = route;
    if (send.length === 0) return false;
    if (this.critical && route.fallback.length > 0) this.watched.push({ user, text, at: this.messages.length, route });
    for (let i = 0; i < send.length; i++) {
      this.messages.push({ to: send[i]!, text, priority: this.priority, ...(this.dedupeKey !== undefined ? { dedupeKey: this.dedupeKey } : {}) });
    }
    return true;
  }

  get size(): number {
    return this.messages.length;
  }

  /** Accept everything added (one journal append); resolves once it is persisted. */
  send(): Promise<void> {
    return this.notifier.sendBatch(this.messages, this.watched, this.priority);
  }
}

/** The core's English texts, for a notifier made without a catalog. */
function englishDescribe(key: string, params?: MessageParams): string {
  const text = (en as Readonly<Record<string, string>>)[key] ?? key;
  return params ? fill(text, params) : text;
}
