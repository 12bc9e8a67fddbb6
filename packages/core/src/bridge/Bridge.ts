import { resolve } from 'node:path';
import { Subject, type Observable, type Subscription } from 'rxjs';
import { builtinsPlugin } from '../commands/builtins.js';
import { CommandRegistry, type CommandOverride } from '../commands/CommandRegistry.js';
import type { GuestPolicy } from '../commands/Callers.js';
import { Dispatcher, type DispatcherOptions } from '../commands/Dispatcher.js';
import type { Adapter, AdapterStatus } from '../domain/Adapter.js';
import { ConfigError } from '../errors.js';
import { Outbox, type OutboxOptions } from '../outbox/Outbox.js';
import { Notifier } from '../notify/Notifier.js';
import type { Store } from '../store/Store.js';
import type { NewUser, NotifyChoice } from '../users/User.js';
import { UserDirectory } from '../users/UserDirectory.js';
import { errorInfo, silentLogger, type Logger } from '../util/Logger.js';
import { detach } from '../util/detach.js';
import { Context, pluginConfig, type Plugin, type PluginUse } from '../plugins/Context.js';
import type { BridgeEvents, PluginHost } from '../plugins/host.js';
import { NamedRegistry } from '../plugins/NamedRegistry.js';
import { MemoryAuditLog, type AuditLog } from '../audit/AuditLog.js';
import { coreCatalog, DefaultLocale, readerLocale, type Catalog, type Locale } from '../i18n/index.js';

/** The start of the stop reason when the store was taken over by another instance (see `Store.lost$`). */
export const LostStoreReason = 'lost the store';

/** Options of {@link Bridge}. */
export interface BridgeOptions {
  readonly store: Store;
  /** Adapters run from the start; plugins add more with `ctx.adapter`. @defaultValue [] */
  readonly adapters?: readonly Adapter[];
  readonly logger?: Logger;
  /** Absolute data directory, for plugins that keep files. @defaultValue ./data */
  readonly dataDir?: string;
  /** Absolute directory of the config file, for plugins' relative paths. @defaultValue the working directory */
  readonly configDir?: string;
  /** Users from config, added when the directory has never seen them. */
  readonly users?: readonly NewUser[];
  readonly commandOverrides?: Readonly<Record<string, CommandOverride>>;
  readonly prefix?: string;
  readonly guest?: GuestPolicy;
  readonly concurrency?: number;
  readonly timeoutMs?: number;
  /** What one sender may send: longest message, messages waiting, commands a second (see {@link DispatcherOptions}). */
  readonly limits?: Pick<DispatcherOptions, 'maxInput' | 'maxQueued' | 'userRate' | 'userBurst' | 'confirmMs'>;
  /** Where privileged acts are recorded; closed with the bridge. @defaultValue a {@link MemoryAuditLog} */
  readonly audit?: AuditLog;
  /** The language of people who chose none (`lang`). @defaultValue 'en' */
  readonly locale?: Locale;
  readonly outbox?: Omit<OutboxOptions, 'store' | 'logger'>;
  /** How long shutdown waits for pending messages to go out. @defaultValue 10000 */
  readonly drainTimeoutMs?: number;
  /** Plugins applied at start, in order (each with its config), and stopped in reverse. */
  readonly plugins?: readonly (Plugin<unknown> | PluginUse<unknown>)[];
  /** Where notifications go by default, and when a critical page falls back to the next platform. */
  readonly notifications?: { readonly defaultChoice?: NotifyChoice; readonly fallbackAfterMs?: number };
}

/**
 * One running Switchboard: store, user directory, command registry, dispatcher, outbox and
 * adapters, started and stopped in the right order.
 */
export class Bridge implements PluginHost {
  readonly store: Store;
  readonly directory: UserDirectory;
  readonly registry = new CommandRegistry();
  readonly outbox: Outbox;
  readonly dispatcher: Dispatcher;
  /** Reaches people where they are: their choice of platform, and the fallback of critical pages. */
  readonly notifier: Notifier;
  readonly logger: Logger;
  readonly dataDir: string;
  /** Where privileged acts are recorded (`audit`, `switchboard audit`). */
  readonly audit: AuditLog;
  /** Every text the bridge sends, by key and language; plugins add theirs with `ctx.messages`. */
  readonly messages: Catalog = coreCatalog();
  /** The bridge's language, for people who chose none. */
  readonly locale: Locale;
  readonly feedTypes = new NamedRegistry<unknown>('feed type');
  readonly actionKinds = new NamedRegistry<unknown>('action kind');
  readonly services = new NamedRegistry<unknown>('service');
  readonly configDir: string;
  /** The root plugin context: every plugin applied at start is its child. */
  readonly root: Context;
  readonly events: PluginHost['events'];
  private readonly adapterList: Adapter[] = [];
  /** Per running adapter: how to take it out again (status and intake subscriptions, outbox entry). */
  private readonly attached = new Map<Adapter, () => void>();
  /** What plugins run on every instance of a shared store (see `Plugin.cluster`), to stop last. */
  private readonly clusterWork: (() => Promise<void>)[] = [];
  private readonly statusSubject = new Subject<AdapterStatus>();
  private readonly readySubject = new Subject<void>();
  private readonly stoppingSubject = new Subject<string>();
  private state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  private stopping: Promise<void> | undefined;
  private readonly stoppedSubject = new Subject<string>();
  private stopReason = 'stopped';

  /** Adapter status changes, all adapters merged. */
  readonly status$: Observable<AdapterStatus> = this.statusSubject.asObservable();
  /** Emits the reason once the bridge has fully stopped. */
  readonly stopped$: Observable<string> = this.stoppedSubject.asObservable();

  constructor(private readonly options: BridgeOptions) {
    this.store = options.store;
    this.logger = options.logger ?? silentLogger;
    this.dataDir = options.dataDir ?? resolve('data');
    this.configDir = options.configDir ?? process.cwd();
    for (const adapter of options.adapters ?? []) this.addAdapter(adapter);
    this.directory = new UserDirectory(options.store);
    this.audit = options.audit ?? new MemoryAuditLog();
    this.locale = options.locale ?? DefaultLocale;
    this.outbox = new Outbox({ ...options.outbox, store: options.store, logger: this.logger });
    this.notifier = new Notifier({
      directory: this.directory,
      outbox: this.outbox,
      adapters: this.adapterList,
      store: options.store,
      logger: this.logger,
      say: (user, key, params) => this.messages.t(readerLocale(user, this.locale), key, params),
      ...(options.notifications?.defaultChoice !== undefined ? { defaultChoice: options.notifications.defaultChoice } : {}),
      ...(options.notifications?.fallbackAfterMs !== undefined ? { fallbackAfterMs: options.notifications.fallbackAfterMs } : {}),
    });
    this.dispatcher = new Dispatcher({
      directory: this.directory,
      registry: this.registry,
      send: (message) => this.outbox.enqueue(message),
      messages: this.messages,
      locale: this.locale,
      services: {
        pendingOutbound: () => this.outbox.size,
        requestShutdown: (reason) => this.requestShutdown(reason),
        notifier: this.notifier,
        audit: this.audit,
      },
      onSeen: (user, message) =>
        this.directory.noteSeen(user.name, message.platform).catch(
          (error: unknown) => this.logger.warn({ ...errorInfo(error), user: user.name }, 'could not note the platform a user wrote from'),
        ),
      logger: this.logger,
      ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
      ...(options.guest !== undefined ? { guest: options.guest } : {}),
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...options.limits,
    });
    const events: { readonly [K in keyof BridgeEvents]: Observable<BridgeEvents[K]> } = {
      ready: this.readySubject.asObservable(),
      stopping: this.stoppingSubject.asObservable(),
      status: this.status$,
      user: this.directory.changes$,
      outcome: this.dispatcher.outcomes$,
    };
    this.events = events;
    this.root = new Context(this, '');
  }

  /** The adapters the bridge runs, in the order they were added. */
  get adapters(): readonly Adapter[] {
    return this.adapterList;
  }

  /**
   * Run an adapter with the bridge: with the others at start, or at once when already running.
   * @returns a disposer that stops it and takes it out of the outbox.
   * @throws TypeError when an adapter of that name is already there.
   */
  addAdapter(adapter: Adapter): () => Promise<void> {
    if (this.adapterList.some((a) => a.name === adapter.name)) throw new TypeError(`two adapters are named "${adapter.name}"`);
    if (this.state === 'stopping' || this.state === 'stopped') throw new Error(`the bridge is ${this.state}; it cannot add an adapter`);
    this.adapterList.push(adapter);
    if (this.state === 'running') detach(this.startAdapter(adapter), (error) => this.logger.error({ ...errorInfo(error), adapter: adapter.name }, 'adapter failed to start'));
    return async () => {
      const at = this.adapterList.indexOf(adapter);
      if (at < 0) return;
      this.adapterList.splice(at, 1);
      this.attached.get(adapter)?.();
      this.attached.delete(adapter);
      this.notifier.refresh();
      await adapter.stop().catch((error: unknown) => this.logger.error({ ...errorInfo(error), adapter: adapter.name }, 'adapter failed to stop'));
    };
  }

  /** Join an adapter to the outbox, the status stream and (once started) the dispatcher. */
  private async startAdapter(adapter: Adapter): Promise<void> {
    const unregister = this.outbox.registerAdapter(adapter);
    const subs: Subscription[] = [adapter.status$.subscribe((s) => this.onStatus(s))];
    this.attached.set(adapter, () => {
      for (const sub of subs) sub.unsubscribe();
      unregister();
    });
    this.notifier.refresh();
    await adapter.start({
      store: this.store,
      outcomes$: this.dispatcher.outcomes$,
      enqueue: (message) => this.outbox.enqueue(message),
      ...(this.store.cluster ? { cluster: this.store.cluster } : {}),
    });
    if (this.attached.has(adapter)) subs.push(this.dispatcher.attach(adapter.inbound$));
  }

  /**
   * Several instances share the store: connect to the others, and let adapters take their share of
   * work while `store.open` waits for this instance's turn to be active (at once when it is free).
   */
  private async standBy(): Promise<void> {
    const cluster = this.store.cluster;
    if (!cluster) return;
    await cluster.open();
    for (const entry of this.options.plugins ?? []) {
      const { plugin, config } = 'plugin' in entry ? entry : { plugin: entry, config: undefined };
      if (!plugin.cluster) continue;
      this.clusterWork.push(await plugin.cluster(cluster, pluginConfig(plugin, config), this.logger));
    }
  }

  /** True between a successful start and the beginning of stop. */
  get running(): boolean {
    return this.state === 'running';
  }

  /**
   * Open the store, load the directory and the outbox journal, start plugins and adapters, and
   * begin dispatching. Fails (after cleaning up) when anything cannot start.
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`the bridge cannot start: it is ${this.state}`);
    this.state = 'starting';
    try {
      await this.standBy();
      await this.store.open();
      // Another instance took the store over: stop before anything else is sent twice.
      this.store.lost$?.subscribe((why) => {
        this.logger.error({ why }, 'the store was taken over by another instance; stopping');
        this.requestShutdown(`${LostStoreReason}: ${why}`);
      });
      await this.directory.load();
      const added = await this.directory.seed(this.options.users ?? []);
      if (added.length > 0) this.logger.info({ users: added }, 'added users from config');
      if (this.directory.size > 0 && !this.directory.list().some((u) => u.tier === 'root')) {
        this.logger.warn({}, 'the directory has no root user; add one with "switchboard users add NAME root"');
      }
      await this.root.plugin(builtinsPlugin);
      this.registry.setOverrides(this.options.commandOverrides ?? {});
      await this.outbox.load();
      await this.notifier.load();
      for (const entry of this.options.plugins ?? []) {
        const use = 'plugin' in entry ? entry : { plugin: entry };
        await this.root.plugin(use.plugin, use.config);
      }
      const unknown = this.registry.unknownOverrides();
      if (unknown.length > 0) {
        throw new ConfigError(unknown.map((name) => ({ path: `commands.${name}`, message: 'no such command' })));
      }
      this.outbox.start();
      this.notifier.start();
      await Promise.all(this.adapterList.map((a) => this.startAdapter(a)));
      this.state = 'running';
      this.logger.info({ adapters: this.adapterList.map((a) => a.name), pending: this.outbox.size }, 'bridge started');
      this.readySubject.next();
    } catch (error) {
      this.logger.error(errorInfo(error), 'bridge failed to start');
      await this.stop('failed to start');
      throw error;
    }
  }

  /** Ask for a graceful stop; returns at once. Used by `quit` and signal handlers. */
  requestShutdown(reason: string): void {
    // Let the caller (often the quit command itself) finish before intake stops.
    setImmediate(() => detach(this.stop(reason), (error) => this.logger.error(errorInfo(error), 'stop failed')));
  }

  /**
   * Stop taking messages, let running handlers finish briefly, deliver what is pending (up to the
   * drain timeout; the rest stays journalled for the next start), then stop plugins, adapters, store.
   */
  stop(reason = 'stopped'): Promise<void> {
    this.stopping ??= this.doStop(reason);
    return this.stopping;
  }

  private async doStop(reason: string): Promise<void> {
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    this.stopReason = reason;
    this.logger.info({ reason, pending: this.outbox.size }, 'bridge stopping');
    this.stoppingSubject.next(reason);
    // Stop intake, but finish what people already sent (piped console input, a burst before quit).
    this.dispatcher.detach();
    if (!(await this.dispatcher.idle(this.options.drainTimeoutMs ?? 10_000))) {
      this.logger.warn({ unhandled: this.dispatcher.pending }, 'stopping before every received command was handled');
    }
    this.dispatcher.stop();
    if (wasRunning) {
      const drained = await this.outbox.drain(this.options.drainTimeoutMs ?? 10_000);
      if (!drained || this.outbox.size > 0) {
        this.logger.warn({ pending: this.outbox.size }, 'stopping with messages still pending; they are kept for the next start');
      }
    }
    await this.outbox.stop();
    this.notifier.stop();
    // Plugins stop newest first, each with the adapters, commands and feeds it added.
    await this.root.dispose();
    await Promise.all(
      this.adapterList.map((a) =>
        a.stop().catch((error: unknown) => this.logger.error({ ...errorInfo(error), adapter: a.name }, 'adapter failed to stop')),
      ),
    );
    for (const detachAdapter of this.attached.values()) detachAdapter();
    this.attached.clear();
    this.directory.close();
    this.registry.close();
    await this.audit.close().catch((error: unknown) => this.logger.error(errorInfo(error), 'could not close the audit log'));
    for (const stop of this.clusterWork.splice(0)) {
      await stop().catch((error: unknown) => this.logger.error(errorInfo(error), 'cluster work failed to stop'));
    }
    await this.store.close();
    this.statusSubject.complete();
    this.readySubject.complete();
    this.stoppingSubject.complete();
    this.state = 'stopped';
    this.logger.info({ reason: this.stopReason }, 'bridge stopped');
    this.stoppedSubject.next(this.stopReason);
    this.stoppedSubject.complete();
  }

  private onStatus(status: AdapterStatus): void {
    const level = status.state === 'failed' ? 'error' : status.state === 'reconnecting' ? 'warn' : 'info';
    this.logger[level]({ adapter: status.adapter, state: status.state, detail: status.detail }, 'adapter status');
    this.statusSubject.next(status);
  }
}
