import type { Messages } from '../i18n/Catalog.js';
import type { Locale } from '../i18n/Locale.js';
import type { z } from 'zod';
import { createHash } from 'node:crypto';
import type { CommandSpec } from '../commands/Command.js';
import type { Middleware } from '../commands/middleware.js';
import type { Adapter } from '../domain/Adapter.js';
import type { Cluster } from '../store/Cluster.js';
import { satisfiesTier, type Tier } from '../domain/tiers.js';
import { ConfigError } from '../errors.js';
import type { NotifyOptions } from '../notify/Notifier.js';
import type { User } from '../users/User.js';
import { errorInfo, type Logger } from '../util/Logger.js';
import type { BridgeEvents, PluginHost } from './host.js';
import { PluginStore } from './PluginStore.js';

/** Who {@link Context.notify} reaches: named users, everyone at a tier or above, or both. */
export interface NotifyTarget {
  readonly users?: readonly string[];
  readonly tier?: Tier;
}

/**
 * A plugin: what a module default-exports to extend Switchboard. `config`, when given, validates
 * the YAML the plugin is listed with; `apply` receives the validated value and registers what the
 * plugin brings (commands, middleware, adapters, feed types…) through `ctx`. Everything registered
 * through `ctx` is undone when the plugin stops.
 */
export interface Plugin<Config = unknown> {
  readonly name: string;
  readonly config?: z.ZodType<Config, z.ZodTypeDef, unknown>;
  apply(ctx: Context, config: Config): void | Promise<void>;
  /**
   * Top-level keys of the config file that together are this plugin's config (the relay's
   * `feeds`, `routes` and `relay`). Without it, the config is the `plugins:` entry's `config:`,
   * or, for a plugin named like an `adapters:` key, that section.
   */
  readonly sections?: readonly string[];
  /** One line for `switchboard check`, with no secret in it. */
  describe?(config: Config): string;
  /**
   * Work to do on every instance when several share one store, whether active or standing by
   * (QQ gateway shards by lease, webhooks), handing what arrives to the active instance through
   * `cluster.queue`. Runs before the store opens (a standby waits there); what it returns runs at
   * the bridge's stop, after the adapters stopped.
   */
  cluster?(cluster: Cluster, config: Config, logger: Logger): Promise<() => Promise<void>>;
}

/** A plugin and the configuration it is applied with. */
export interface PluginUse<Config = unknown> {
  readonly plugin: Plugin<Config>;
  readonly config?: unknown;
}

/**
 * A plugin's config as its schema makes it (defaults filled in), or as given when it has none.
 * @throws ConfigError naming each path that does not validate.
 */
export function pluginConfig<C>(plugin: Plugin<C>, config: unknown): C {
  if (!plugin.config) return config as C;
  const parsed = plugin.config.safeParse(config ?? {});
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  return parsed.data;
}

/** Identity helper that keeps a plugin's config type. A plain object works just as well. */
export function definePlugin<Config = undefined>(plugin: Plugin<Config>): Plugin<Config> {
  return plugin;
}

/** A plugin that only brings commands: those `specs(config)` makes are registered while it runs. */
export function commandsPlugin<Config = undefined>(name: string, specs: (config: Config) => readonly CommandSpec[]): Plugin<Config> {
  return {
    name,
    apply(ctx, config) {
      for (const spec of specs(config)) ctx.command(spec);
    },
  };
}

/** Why a value is not a plugin, or undefined when it is one. */
export function notAPlugin(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return `expected an object { name, apply }, got ${value === null ? 'null' : typeof value}`;
  const p = value as Partial<Record<keyof Plugin, unknown>>;
  if (typeof p.name !== 'string' || p.name.length === 0) return 'its "name" must be a non-empty string';
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(p.name)) return `its name "${p.name}" may hold only letters, digits, "_" and "-" (40 at most)`;
  if (typeof p.apply !== 'function') return 'its "apply" must be a function (ctx, config) => void';
  if (p.config !== undefined && typeof (p.config as { safeParse?: unknown }).safeParse !== 'function') {
    return 'its "config" must be a zod schema';
  }
  return undefined;
}

type Disposer = () => unknown;

/**
 * What a plugin registers through: commands, middleware, adapters, feed types, event handlers and
 * child plugins. Each registration is recorded, and {@link dispose} undoes them all, children
 * first, newest first. One context per applied plugin; the bridge holds the root.
 */
export class Context {
  readonly logger: Logger;
  /** The plugin's own key-value space, persisted in the bridge's store. */
  readonly store: PluginStore;
  private readonly disposers: Disposer[] = [];
  private readonly children = new Map<string, Context>();
  private disposed = false;

  constructor(
    /** The bridge's parts, for built-in plugins that need more than this context offers. */
    readonly host: PluginHost,
    /** The plugin's name; a nested plugin's is `parent/child`. */
    readonly name: string,
    private readonly parent?: Context,
  ) {
    this.logger = name === '' ? host.logger : host.logger.child({ plugin: name });
    this.store = new PluginStore(host.store, storeKey(name));
  }

  /** Register a command for as long as the plugin runs. */
  command(spec: CommandSpec): () => void {
    return this.track(() => this.host.registry.register(spec));
  }

  /** Add a middleware (see {@link Middleware}) for as long as the plugin runs. */
  middleware(fn: Middleware): () => void {
    return this.track(() => this.host.dispatcher.use(fn));
  }

  /** Run an adapter with the bridge; it stops and leaves the outbox when the plugin stops. */
  adapter(adapter: Adapter): () => Promise<void> {
    return this.track(() => this.host.addAdapter(adapter));
  }

  /** Add a feed type for the relay's `feeds:` entries (`type: NAME`). */
  feed(type: string, factory: unknown): () => void {
    return this.track(() => this.host.feedTypes.register(type, factory));
  }

  /**
   * Add texts per language (`{ en: { 'myplugin.done': 'Done: {what}' }, 'zh-CN': { … } }`) for as
   * long as the plugin runs; handlers render them with `ctx.t(key, params)` in the caller's language.
   * Prefix keys with the plugin's name.
   */
  messages(messages: Partial<Record<Locale, Messages>>): () => void {
    return this.track(() => this.host.messages.add(messages));
  }

  /** Add a `do:` kind for the relay's `actions:` entries (`do: { NAME: … }`). */
  action(kind: string, definition: unknown): () => void {
    return this.track(() => this.host.actionKinds.register(kind, definition));
  }

  /**
   * Offer `value` to other plugins as `host.services.get(name)` for as long as this plugin runs.
   * A service is read where it is used, so its user need not start after it.
   */
  provide(name: string, value: unknown): () => void {
    return this.track(() => this.host.services.register(name, value));
  }

  /**
   * Send a notification to users by name and/or by tier, each where they choose to be reached.
   * @returns the users it was accepted for.
   * @throws Error naming users the directory does not know.
   */
  notify(target: NotifyTarget, text: string, options?: NotifyOptions): Promise<User[]> {
    const { directory, notifier } = this.host;
    const chosen = new Map<string, User>();
    const unknown: string[] = [];
    for (const name of target.users ?? []) {
      const user = directory.get(name);
      if (user) chosen.set(user.name, user);
      else unknown.push(name);
    }
    if (unknown.length > 0) return Promise.reject(new Error(`no such user: ${unknown.join(', ')}`));
    if (target.tier) for (const user of directory.list()) if (satisfiesTier(user.tier, target.tier)) chosen.set(user.name, user);
    return notifier.notify([...chosen.values()], text, options);
  }

  /** Follow a bridge event for as long as the plugin runs. A handler's error is logged, not thrown. */
  on<K extends keyof BridgeEvents>(event: K, fn: (value: BridgeEvents[K]) => unknown): () => void {
    const events = this.host.events[event];
    if (!events) throw new TypeError(`no such event "${String(event)}" (known: ${Object.keys(this.host.events).join(', ')})`);
    const failed = (error: unknown): void => this.logger.error({ ...errorInfo(error), event }, 'event handler failed');
    return this.track(() => {
      const sub = events.subscribe((value) => {
        try {
          const result = fn(value as BridgeEvents[K]);
          if (result instanceof Promise) result.catch(failed);
        } catch (error) {
          failed(error);
        }
      });
      return () => sub.unsubscribe();
    });
  }

  /** Run `fn` when the plugin stops (after its children, before what it registered earlier). */
  onDispose(fn: () => unknown): void {
    this.assertLive();
    this.disposers.push(fn);
  }

  /**
   * Apply a child plugin under this one; it stops with this one, before it.
   * @throws ConfigError when its config does not validate; whatever its `apply` throws (after
   * undoing what it registered).
   */
  async plugin<C>(child: Plugin<C>, config?: unknown): Promise<Context> {
    this.assertLive();
    const why = notAPlugin(child);
    if (why) throw new TypeError(`not a plugin: ${why}`);
    const name = this.name === '' ? child.name : `${this.name}/${child.name}`;
    if (this.children.has(child.name)) throw new Error(`a plugin named "${name}" is already running`);
    const value = pluginConfig(child, config);
    const ctx = new Context(this.host, name, this);
    this.children.set(child.name, ctx);
    try {
      await child.apply(ctx, value);
    } catch (error) {
      await ctx.dispose();
      throw error;
    }
    return ctx;
  }

  /** The running child plugins, by name. */
  get plugins(): ReadonlyMap<string, Context> {
    return this.children;
  }

  /** Undo everything registered here: children first (newest first), then this context's own. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const child of [...this.children.values()].reverse()) await child.dispose();
    for (const dispose of this.disposers.splice(0).reverse()) {
      try {
        await dispose();
      } catch (error) {
        this.logger.error(errorInfo(error), 'could not undo a registration');
      }
    }
    const key = this.name.slice(this.name.lastIndexOf('/') + 1);
    if (this.parent?.children.get(key) === this) this.parent.children.delete(key);
  }

  /** Register (unless stopped) and keep the disposer; the one returned may be called early, once. */
  private track<D extends Disposer>(register: () => D): D {
    this.assertLive();
    const dispose = register();
    let done = false;
    const once = (() => {
      if (done) return undefined;
      done = true;
      const at = this.disposers.indexOf(once);
      if (at >= 0) this.disposers.splice(at, 1);
      return dispose();
    }) as D;
    this.disposers.push(once);
    return once;
  }

  private assertLive(): void {
    if (this.disposed) throw new Error(`the plugin "${this.name}" has stopped; it cannot register anything`);
  }
}

/** The store document of a plugin's key-value space: `plugin.NAME`, nesting by dots, within the store's 64-character keys. */
function storeKey(name: string): string {
  const key = `plugin.${name.replaceAll('/', '.') || 'root'}`;
  if (key.length <= 64) return key;
  return `${key.slice(0, 52)}.${createHash('sha256').update(key).digest('hex').slice(0, 11)}`;
}
