import { Registry, type Metric } from 'prom-client';
import { LatencyBuckets, ServiceNames, type AdapterStatus, type PlatformCounts, type DispatchCounts, type PluginHost, type Tier } from '@switchboard/core';
import type { RelayContext, SourceState, SourceStats } from '@switchboard/relay';
import { registerProcessMetrics } from './processMetrics.js';
import { one, scraped, type Samples } from './scraped.js';

/** What `/metrics` reads when it is scraped. */
export interface MetricsSources {
  readonly host: PluginHost;
  readonly dispatch: DispatchCounts;
  /** The last status each adapter reported. */
  readonly adapterStatus: ReadonlyMap<string, AdapterStatus>;
  /** Whether `/readyz` would answer 200 now. */
  ready(): Promise<boolean>;
}

const AdapterStates: readonly AdapterStatus['state'][] = ['starting', 'ready', 'reconnecting', 'stopped', 'failed'];
const FeedStates: readonly SourceState[] = ['idle', 'connecting', 'connected', 'reconnecting', 'stopped', 'failed'];
const Tiers: readonly Tier[] = ['root', 'admin', 'user'];
const Severities = ['info', 'warning', 'error', 'critical'] as const;

/**
 * The bridge's Prometheus metrics, in a registry of their own. Everything is read when scraped,
 * from counts the parts keep anyway, so that the delivery and dispatch paths do no label
 * lookups of prom-client's. Label values are adapter, feed and registered command names, states
 * and tiers: all bounded by the config, none taken from what people write.
 */
export function createMetrics(sources: MetricsSources): { readonly registry: Registry; stop(): void } {
  const registry = new Registry();
  const { host } = sources;
  const relay = (): RelayContext | undefined => host.services.get(ServiceNames.relay) as RelayContext | undefined;
  const adapterNames = (): string[] => host.adapters.map((a) => a.name);
  /** One unlabelled value read from the running relay; none without it. */
  const fromRelay = (read: (r: RelayContext) => number): Samples => {
    const r = relay();
    return one(r ? read(r) : undefined);
  };

  const counter = (name: string, help: string, labelNames: string[], read: () => Samples | Promise<Samples>): void => scraped(registry, 'counter', name, help, labelNames, read);
  const gauge = (name: string, help: string, labelNames: string[], read: () => Samples | Promise<Samples>): void => scraped(registry, 'gauge', name, help, labelNames, read);

  // Commands.
  counter('switchboard_commands_total', 'Messages dispatched, by registered command and outcome (ok, refused, unknown, error, timeout, limited…)', ['command', 'outcome'], function* () {
    for (const [command, byResult] of sources.dispatch.counts) for (const [outcome, n] of byResult) yield [{ command, outcome }, n];
  });
  registry.registerMetric(dispatchHistogram(sources.dispatch));

  // The outbox, per adapter: every adapter running, and any other platform the outbox has seen, 0 when it has none.
  const byAdapter = (values: ReadonlyMap<string, number>): Samples => [...new Set([...adapterNames(), ...values.keys()])].map((adapter) => [{ adapter }, values.get(adapter) ?? 0]);
  const perAdapter = (field: keyof PlatformCounts) => (): Samples => byAdapter(new Map([...host.outbox.counts()].map(([adapter, counts]) => [adapter, counts[field]])));
  gauge('switchboard_outbox_pending', 'Messages accepted and not yet delivered or failed', ['adapter'], () => byAdapter(host.outbox.pendingByPlatform()));
  counter('switchboard_outbox_accepted_total', 'Messages the outbox accepted (persisted) for delivery', ['adapter'], perAdapter('accepted'));
  counter('switchboard_outbox_delivered_total', 'Messages delivered', ['adapter'], perAdapter('delivered'));
  counter('switchboard_outbox_failed_total', 'Messages that failed for good (permanent error, or retried past the give-up time)', ['adapter'], perAdapter('failed'));
  counter('switchboard_outbox_retried_total', 'Send attempts that failed transiently and are retried', ['adapter'], perAdapter('retried'));
  counter('switchboard_outbox_deferred_total', 'Messages the platform would take only later (outside a reply window)', ['adapter'], perAdapter('deferred'));
  counter('switchboard_outbox_withdrawn_total', 'Messages taken back by their sender before they went out', ['adapter'], perAdapter('withdrawn'));
  counter('switchboard_outbox_window_waits_total', 'Times a chat began to wait for a reply window (QQ)', ['adapter'], perAdapter('windowWaits'));
  gauge('switchboard_outbox_window_waiting', 'Chats waiting for a reply window now (QQ)', ['adapter'], () => byAdapter(host.outbox.windowWaiting()));

  // Adapters and feeds.
  gauge('switchboard_adapter_up', '1 when the adapter is ready, else 0', ['adapter'], function* () {
    for (const adapter of adapterNames()) yield [{ adapter }, sources.adapterStatus.get(adapter)?.state === 'ready' ? 1 : 0];
  });
  gauge('switchboard_adapter_status', 'The adapter\'s state: 1 for the state it is in, 0 for the others', ['adapter', 'state'], () =>
    adapterNames().flatMap((adapter) => oneHot({ adapter }, AdapterStates, sources.adapterStatus.get(adapter)?.state ?? 'starting')),
  );
  gauge('switchboard_feed_up', '1 when the feed is connected, else 0', ['feed'], function* () {
    for (const source of relay()?.sources ?? []) yield [{ feed: source.name }, source.stats().state === 'connected' ? 1 : 0];
  });
  gauge('switchboard_feed_status', 'The feed\'s state: 1 for the state it is in, 0 for the others', ['feed', 'state'], () =>
    (relay()?.sources ?? []).flatMap((source) => oneHot({ feed: source.name }, FeedStates, source.stats().state)),
  );
  const perFeed = (read: (stats: SourceStats) => number | undefined) => (): Samples =>
    (relay()?.sources ?? []).flatMap((source) => {
      const value = read(source.stats());
      return value === undefined ? [] : [[{ feed: source.name }, value] as const];
    });
  counter('switchboard_feed_frames_total', 'Frames received from the feed', ['feed'], perFeed((s) => s.frames));
  counter('switchboard_feed_malformed_frames_total', 'Frames that could not be read (skipped)', ['feed'], perFeed((s) => s.malformed));
  counter('switchboard_feed_reconnects_total', 'Connections opened after the first one', ['feed'], perFeed((s) => s.reconnects));
  gauge('switchboard_feed_last_frame_timestamp_seconds', 'When the last frame arrived (Unix time)', ['feed'], perFeed((s) => (s.lastFrameAt === undefined ? undefined : s.lastFrameAt / 1000)));

  // Alerts.
  gauge('switchboard_alerts_open', 'Open alerts, by severity and state (firing, acknowledged)', ['severity', 'state'], function* () {
    const r = relay();
    if (!r) return;
    const counts = new Map<string, number>();
    for (const alert of r.alerts.open()) counts.set(`${alert.severity}/${alert.status}`, (counts.get(`${alert.severity}/${alert.status}`) ?? 0) + 1);
    for (const severity of Severities) for (const state of ['firing', 'acknowledged']) yield [{ severity, state }, counts.get(`${severity}/${state}`) ?? 0];
  });
  gauge('switchboard_alerts_acked', 'Open alerts someone has acknowledged', [], () => fromRelay((r) => r.alerts.open().filter((a) => a.status === 'acknowledged').length));
  counter('switchboard_alerts_paged_total', 'Alerts whose first page went out', [], () => fromRelay((r) => r.alerting.counts.paged));
  counter('switchboard_alerts_escalated_total', 'Escalation steps that paged someone', [], () => fromRelay((r) => r.alerting.counts.escalated));
  gauge('switchboard_silences_active', 'Silences in force', [], () => fromRelay((r) => r.silences.active().length));
  gauge('switchboard_quiet_hours_held', 'Notifications held for people in their quiet hours, to go out in their digest', [], () => fromRelay((r) => r.quiet.heldCount()));

  // The bridge.
  gauge('switchboard_users', 'Users in the directory, by tier', ['tier'], function* () {
    const users = host.directory.list();
    for (const tier of Tiers) yield [{ tier }, users.filter((u) => u.tier === tier).length];
  });
  gauge('switchboard_store_up', '1 when the store answers (the Redis store: connected and answering PING; the file store: open and writable)', [], async () =>
    one((await host.store.check?.().then(() => 1, () => 0)) ?? 1),
  );
  gauge('switchboard_ready', '1 when /readyz answers 200', [], async () => one((await sources.ready()) ? 1 : 0));
  const stopSampler = registerProcessMetrics(registry);
  return { registry, stop: stopSampler };
}

/** One series per state, 1 for the one `now` is in. */
function oneHot(labels: Readonly<Record<string, string>>, states: readonly string[], now: string): [Record<string, string>, number][] {
  return states.map((state) => [{ ...labels, state }, state === now ? 1 : 0]);
}

/** The dispatch latency histogram, read from {@link DispatchCounts}' buckets. */
function dispatchHistogram(stats: DispatchCounts): Metric {
  const name = 'switchboard_dispatch_duration_seconds';
  const help = 'Time from a message\'s arrival to the end of its handling (reply accepted by the outbox)';
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get() {
      const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
      let cumulative = 0;
      LatencyBuckets.forEach((le, i) => {
        cumulative += stats.buckets[i]!;
        values.push({ labels: { le }, value: cumulative, metricName: `${name}_bucket` });
      });
      values.push({ labels: { le: '+Inf' }, value: stats.total, metricName: `${name}_bucket` });
      values.push({ labels: {}, value: stats.sumSeconds, metricName: `${name}_sum` });
      values.push({ labels: {}, value: stats.total, metricName: `${name}_count` });
      return Promise.resolve({ name, help, type: 'histogram', values, aggregator: 'sum' });
    },
  } as unknown as Metric;
}
