import { Subject, type Observable } from 'rxjs';
import { silentLogger, type Context, type Logger, type Plugin } from '@switchboard/core';
import { alertCommandsPlugin } from './commands/alertCommands.js';
import { actionsPlugin } from './actions/actionsPlugin.js';
import { relayMessages } from './i18n.js';
import { relayCommandsPlugin } from './commands/relayCommands.js';
import type { AnyFeedConfig, RelayConfig } from './config.js';
import type { RoutedUpdate } from './Pipeline.js';
import { RelayService, type RelayContext } from './RelayContext.js';
import { RelayRuntime } from './RelayRuntime.js';
import { builtinFeedTypes } from './sources/feedTypes.js';
import type { FeedSource } from './sources/FeedSource.js';
import type { Update } from './Update.js';

export type { RoutedUpdate } from './Pipeline.js';
export { RelaySource } from './state/FeedHealth.js';

/** Options of {@link Relay}. */
export interface RelayOptions extends RelayConfig {
  readonly logger?: Logger;
  /** Build sources differently (tests); defaults to the feed types registered through `ctx.feed`. */
  readonly createSource?: (feed: AnyFeedConfig) => FeedSource;
  /** Randomness for the start jitter. */
  readonly random?: () => number;
}

/**
 * The relay as a plugin: keeps feed connections, remembers each device's last state, and tells the
 * users the routing rules allow, through the bridge's outbox like everything else that leaves.
 *
 * Applying it registers the built-in feed types, starts the {@link RelayRuntime} (whose
 * {@link RelayContext} the commands and alerting share), and applies the relay's and the alerts'
 * commands as child plugins. Stopping the plugin undoes it all, commands first.
 */
export class Relay implements Plugin<void> {
  readonly name = 'relay';
  private readonly logger: Logger;
  private runtime: RelayRuntime | undefined;
  private readonly routedSubject = new Subject<RoutedUpdate>();

  /** Every update after routing: for tests, metrics and the benchmark. */
  readonly routed$: Observable<RoutedUpdate> = this.routedSubject.asObservable();

  constructor(private readonly options: RelayOptions) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'relay' });
  }

  /** The running relay's parts; undefined before it starts and after it stops. */
  get context(): RelayContext | undefined {
    return this.runtime?.context;
  }

  async apply(ctx: Context): Promise<void> {
    for (const [type, feedType] of Object.entries(builtinFeedTypes)) {
      if (!ctx.host.feedTypes.get(type)) ctx.feed(type, feedType);
    }
    const report = (routed: RoutedUpdate): RoutedUpdate => {
      if (this.routedSubject.observed) this.routedSubject.next(routed);
      return routed;
    };
    ctx.messages(relayMessages);
    const runtime = await RelayRuntime.open(ctx.host, this.options, this.logger, report);
    this.runtime = runtime;
    ctx.onDispose(async () => {
      this.runtime = undefined;
      await runtime.stop();
      this.routedSubject.complete();
    });
    // The operations server (`http:`) shows alerts, feeds and devices through this.
    ctx.provide(RelayService, runtime.context);
    await ctx.plugin(relayCommandsPlugin, runtime.context);
    await ctx.plugin(alertCommandsPlugin, runtime.context);
    if (this.options.actions && this.options.actions.length > 0) {
      await ctx.plugin(actionsPlugin, { relay: runtime.context, actions: this.options.actions, feeds: this.options.feeds });
    }
  }

  /**
   * Take one update as if a feed had sent it (see {@link Pipeline.handle}).
   * @throws Error (rejected) when the relay is not running.
   */
  handle(update: Update): Promise<RoutedUpdate> {
    if (!this.runtime) return Promise.reject(new Error('the relay is not running'));
    return this.runtime.pipeline.handle(update);
  }
}
