import type { Subscription } from 'rxjs';
import { ConfigError, errorInfo, type Logger, type PluginHost } from '@switchboard/core';
import { AlertBook } from './alerts/AlertBook.js';
import { Alerting } from './alerts/Alerting.js';
import { parseMatchers } from './alerts/matchers.js';
import { QuietHours } from './alerts/QuietHours.js';
import { SilenceBook } from './alerts/SilenceBook.js';
import type { AnyFeedConfig, RelayConfig } from './config.js';
import { RelayNotifier } from './delivery/RelayNotifier.js';
import { Pipeline, type RoutedUpdate } from './Pipeline.js';
import type { RelayContext } from './RelayContext.js';
import { FeedDownRuleName, RouteSchema } from './routing/Route.js';
import { Router } from './routing/Router.js';
import { routeWarnings } from './routing/routeWarnings.js';
import { createSource, unknownFeedTypes } from './sources/feedTypes.js';
import type { FeedSource } from './sources/FeedSource.js';
import { HttpIngress } from './sources/HttpIngress.js';
import { DeviceStates } from './state/DeviceStates.js';
import { FeedHealth, RelaySource } from './state/FeedHealth.js';

/** What the runtime is built from: the relay's config and the test seams of `RelayOptions`. */
export interface RuntimeOptions extends RelayConfig {
  readonly createSource?: (feed: AnyFeedConfig) => FeedSource;
  readonly random?: () => number;
}

/** Built-in rule: a feed that stays down pages admins, once, as an alert of its own. */
const FeedDownRoute = RouteSchema.parse({
  name: FeedDownRuleName,
  match: { source: RelaySource },
  notify: { tier: 'admin' },
  // The grace period (sourceDownAfter) already waited; page at once.
  alert: { severity: 'warning', groupWait: 0 },
});

/**
 * A started relay: its {@link RelayContext}, the update {@link Pipeline}, and what has to be
 * stopped again (feed connections, webhook ingresses, timers). Built in one go by {@link open}.
 */
export class RelayRuntime {
  private readonly subscriptions: Subscription[] = [];
  private readonly timers: NodeJS.Timeout[] = [];

  private constructor(
    readonly context: RelayContext,
    readonly pipeline: Pipeline,
    private readonly ingresses: ReadonlyMap<string, HttpIngress>,
  ) {}

  /**
   * Load the relay's state from the bridge's store, build its parts, and connect the feeds (each
   * after its start jitter).
   * @throws ConfigError naming feeds of a type no plugin registered; nothing is started then.
   */
  static async open(host: PluginHost, options: RuntimeOptions, logger: Logger, report: (routed: RoutedUpdate) => RoutedUpdate): Promise<RelayRuntime> {
    const unknown = options.createSource ? [] : unknownFeedTypes(options.feeds, host.feedTypes.names());
    if (unknown.length > 0) throw new ConfigError(unknown);
    const { store, directory } = host;
    const settings = options.relay;
    const states = new DeviceStates({ store, logger });
    const alerts = new AlertBook(store);
    const silences = new SilenceBook(store);
    const quiet = new QuietHours(store);
    await states.load();
    await alerts.load();
    await silences.load();
    await quiet.load();
    const router = new Router([FeedDownRoute, ...options.routes], directory);
    for (const warning of routeWarnings(options.routes, directory.list())) logger.warn({ rules: true }, warning);
    const delivery = new RelayNotifier({ notifier: host.notifier, directory, quiet, maxText: settings.maxText, logger, messages: host.messages, locale: host.locale });
    // The pipeline and the feed watch refer to each other through alerting; both exist before any
    // feed connects, so these late-bound calls always find them.
    const late: { pipeline?: Pipeline } = {};
    const health = new FeedHealth({
      downAfter: settings.sourceDownAfter,
      downAlertOpen: (source) => alerts.openFor(Alerting.keyOf({ source: RelaySource, key: source })) !== undefined,
      // A feed back releases its devices' held alerts: sweep once its own alert is resolved.
      report: (update, back) => late.pipeline!.handleDetached(update, back ? () => alerting.sweep() : undefined),
    });
    const alerting = new Alerting({
      book: alerts,
      silences,
      router,
      directory,
      notify: (users, text, severity, notifyOptions) => delivery.notify(users, text, severity, notifyOptions),
      inhibited: (source) => health.isDown(source),
      flapping: (update) => late.pipeline?.isFlapping(update) ?? false,
      inhibitRules: settings.inhibit.map((rule) => ({ source: parseMatchers(rule.source), target: parseMatchers(rule.target), equal: rule.equal })),
      logger,
      messages: host.messages,
      locale: host.locale,
    });
    const ingresses = new Map<string, HttpIngress>();
    const ingress = (listen: string): HttpIngress => {
      let found = ingresses.get(listen);
      if (!found) ingresses.set(listen, (found = new HttpIngress(listen, logger)));
      return found;
    };
    const sources = options.feeds.map((feed, index) =>
      options.createSource ? options.createSource(feed) : createSource(feed, index, host.feedTypes, { name: feed.name, logger, ingress }),
    );
    const context: RelayContext = {
      host,
      settings,
      logger,
      states,
      router,
      alerts,
      alerting,
      silences,
      quiet,
      delivery,
      health,
      sources,
      defaultTimeZone: settings.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    };
    const pipeline = (late.pipeline = new Pipeline(context, report));
    const runtime = new RelayRuntime(context, pipeline, ingresses);
    delivery.scheduleDigests();
    alerting.start();
    await runtime.connect(options.random ?? Math.random);
    return runtime;
  }

  /** Follow each feed, open the webhook ingresses, and start the feeds, spread over the start jitter. */
  private async connect(random: () => number): Promise<void> {
    const { sources, logger, health, settings } = this.context;
    for (const source of sources) {
      this.subscriptions.push(
        source.updates$.subscribe((update) => this.pipeline.handleDetached(update)),
        source.status$.subscribe((status) => {
          const level = status.state === 'failed' ? 'error' : status.state === 'reconnecting' ? 'warn' : 'info';
          logger[level]({ source: status.source, state: status.state, detail: status.detail }, 'feed status');
          health.observe(status);
        }),
      );
    }
    for (const ingress of this.ingresses.values()) await ingress.start();
    for (const source of sources) {
      // Spread first connections so a restart does not hit every feed at the same instant.
      const delay = source.kind === 'webhook' ? 0 : Math.floor(random() * settings.startJitter);
      const timer = setTimeout(() => {
        source.start().catch((error: unknown) => logger.error({ ...errorInfo(error), source: source.name }, 'feed failed to start'));
      }, delay);
      this.timers.push(timer);
    }
  }

  /** Stop timers and feeds, close the ingresses, and write what is pending to the store. */
  async stop(): Promise<void> {
    const { alerting, delivery, health, sources, states, alerts } = this.context;
    alerting.stop();
    this.pipeline.stop();
    delivery.stop();
    health.stop();
    for (const timer of this.timers.splice(0)) clearTimeout(timer);
    for (const source of sources) await source.stop();
    for (const ingress of this.ingresses.values()) await ingress.stop();
    for (const sub of this.subscriptions.splice(0)) sub.unsubscribe();
    await states.flush();
    await alerts.flush();
  }
}
