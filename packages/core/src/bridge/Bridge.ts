import { merge, Subject, type Observable, type Subscription } from 'rxjs';
import { registerBuiltins } from '../commands/builtins.js';
import { CommandRegistry, type CommandOverride } from '../commands/CommandRegistry.js';
import { Dispatcher, type DispatcherOptions, type GuestPolicy } from '../commands/Dispatcher.js';
import type { Adapter, AdapterStatus } from '../domain/Adapter.js';
import { ConfigError } from '../errors.js';
import { Outbox, type OutboxOptions } from '../outbox/Outbox.js';
import { Notifier } from '../notify/Notifier.js';
import type { Store } from '../store/Store.js';
import type { NewUser, NotifyChoice } from '../users/User.js';
import { UserDirectory } from '../users/UserDirectory.js';
import { errorInfo, silentLogger, type Logger } from '../util/Logger.js';
import { detach } from '../util/detach.js';

/** A component that lives as long as the bridge (the relay is one). */
export interface BridgePlugin {
  readonly name: string;
  /** Called after the directory and registry are ready and before adapters start. */
  start(bridge: Bridge): Promise<void> | void;
  /** Called after the outbox has drained, before adapters stop. */
  stop(): Promise<void> | void;
}

/** Options of {@link Bridge}. */
export interface BridgeOptions {
  readonly store: Store;
  readonly adapters: readonly Adapter[];
  readonly logger?: Logger;
  /** Users from config, added when the directory has never seen them. */
  readonly users?: readonly NewUser[];
  readonly commandOverrides?: Readonly<Record<string, CommandOverride>>;
  readonly prefix?: string;
  readonly guest?: GuestPolicy;
  readonly concurrency?: number;
  readonly timeoutMs?: number;
  /** What one sender may send: longest message, messages waiting, commands a second (see {@link DispatcherOptions}). */
  readonly limits?: Pick<DispatcherOptions, 'maxInput' | 'maxQueued' | 'userRate' | 'userBurst'>;
  readonly outbox?: Omit<OutboxOptions, 'store' | 'logger'>;
  /** How long shutdown waits for pending messages to go out. @defaultValue 10000 */
  readonly drainTimeoutMs?: number;
  readonly plugins?: readonly BridgePlugin[];
  /** Where notifications go by default, and when a critical page falls back to the next platform. */
  readonly notifications?: { readonly defaultChoice?: NotifyChoice; readonly fallbackAfterMs?: number };
}

/**
 * One running Switchboard: store, user directory, command registry, dispatcher, outbox and
 * adapters, started and stopped in the right order.
 */
export class Bridge {
  readonly store: Store;
  readonly directory: UserDirectory;
  readonly registry = new CommandRegistry();
  readonly outbox: Outbox;
  readonly dispatcher: Dispatcher;
  /** Reaches people where they are: their choice of platform, and the fallback of critical pages. */
  readonly notifier: Notifier;
  readonly adapters: readonly Adapter[];
  readonly logger: Logger;
  private readonly statusSubject = new Subject<AdapterStatus>();
  private readonly subscriptions: Subscription[] = [];
  private readonly disposers: (() => void)[] = [];
  private readonly startedPlugins: BridgePlugin[] = [];
  private state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  private stopping: Promise<void> | undefined;
  private readonly stoppedSubject = new Subject<string>();
  private stopReason = 'stopped';

  /** Adapter status changes, all adapters merged. */
  readonly status$: Observable<AdapterStatus> = this.statusSubject.asObservable();
  /** Emits the reason once the bridge has fully stopped. */
  readonly stopped$: Observable<string> = this.stoppedSubject.asObservable();

  constructor(private readonly options: BridgeOptions) {
    const names = new Set<string>();
    for (const adapter of options.adapters) {
      if (names.has(adapter.name)) throw new TypeError(`two adapters are named "${adapter.name}"`);
      names.add(adapter.name);
    }
    this.store = options.store;
    this.adapters = options.adapters;
    this.logger = options.logger ?? silentLogger;
    this.directory = new UserDirectory(options.store);
    this.outbox = new Outbox({ ...options.outbox, store: options.store, logger: this.logger });
    this.notifier = new Notifier({
      directory: this.directory,
      outbox: this.outbox,
      adapters: this.adapters,
      store: options.store,
      logger: this.logger,
      ...(options.notifications?.defaultChoice !== undefined ? { defaultChoice: options.notifications.defaultChoice } : {}),
      ...(options.notifications?.fallbackAfterMs !== undefined ? { fallbackAfterMs: options.notifications.fallbackAfterMs } : {}),
    });
    this.dispatcher = new Dispatcher({
      directory: this.directory,
      registry: this.registry,
      send: (message) => this.outbox.enqueue(message),
      services: {
        pendingOutbound: () => this.outbox.size,
        requestShutdown: (reason) => this.requestShutdown(reason),
        notifier: this.notifier,
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
      await this.store.open();
      await this.directory.load();
      const added = await this.directory.seed(this.options.users ?? []);
      if (added.length > 0) this.logger.info({ users: added }, 'added users from config');
      if (this.directory.size > 0 && !this.directory.list().some((u) => u.tier === 'root')) {
        this.logger.warn({}, 'the directory has no root user; add one with "switchboard users add NAME root"');
      }
      this.disposers.push(registerBuiltins(this.registry));
      this.registry.setOverrides(this.options.commandOverrides ?? {});
      await this.outbox.load();
      await this.notifier.load();
      for (const adapter of this.adapters) this.disposers.push(this.outbox.registerAdapter(adapter));
      for (const plugin of this.options.plugins ?? []) {
        await plugin.start(this);
        this.startedPlugins.push(plugin);
      }
      const unknown = this.registry.unknownOverrides();
      if (unknown.length > 0) {
        throw new ConfigError(unknown.map((name) => ({ path: `commands.${name}`, message: 'no such command' })));
      }
      this.subscriptions.push(merge(...this.adapters.map((a) => a.status$)).subscribe((s) => this.onStatus(s)));
      this.outbox.start();
      this.notifier.start();
      await Promise.all(this.adapters.map((a) => a.start({ store: this.store })));
      this.subscriptions.push(this.dispatcher.attach(merge(...this.adapters.map((a) => a.inbound$))));
      this.state = 'running';
      this.logger.info({ adapters: this.adapters.map((a) => a.name), pending: this.outbox.size }, 'bridge started');
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
    for (const plugin of this.startedPlugins.splice(0).reverse()) {
      await Promise.resolve()
        .then(() => plugin.stop())
        .catch((error: unknown) => this.logger.error({ ...errorInfo(error), plugin: plugin.name }, 'plugin failed to stop'));
    }
    await Promise.all(
      this.adapters.map((a) =>
        a.stop().catch((error: unknown) => this.logger.error({ ...errorInfo(error), adapter: a.name }, 'adapter failed to stop')),
      ),
    );
    for (const dispose of this.disposers.splice(0).reverse()) dispose();
    for (const sub of this.subscriptions.splice(0)) sub.unsubscribe();
    this.directory.close();
    this.registry.close();
    await this.store.close();
    this.statusSubject.complete();
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
