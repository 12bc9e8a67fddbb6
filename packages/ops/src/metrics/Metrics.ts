import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import { LatencyBuckets, ServiceNames, type AdapterStatus, type DispatchCounts, type PluginHost, type Tier } from '@switchboard/core';
import type { RelayContext, SourceState } from '@switchboard/relay';
import { registerProcessMetrics } from './processMetrics.js';

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
  const registers = [registry];
  const { host } = sources;
  const relay = (): RelayContext | undefined => host.services.get(ServiceNames.relay) as RelayContext | undefined;
  const adapterNames = (): string[] => host.adapters.map((a) => a.name);

  const counter = (name: string, help: string, labelNames: string[], read: () => Iterable<[Record<string, string>, number]>): void => {
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect(this: Counter) {
        this.reset();
        for (const [labels, value] of read()) this.inc(labels, value);
      },
    });
  };
  const gauge = (name: string, help: string, labelNames: string[], read: () => Iterable<[Record<string, string>, number]>): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect(this: Gauge) {
        this.reset();
        for (const [labels, value] of read()) this.set(labels, value);
      },
    });
  };

  // Commands.
  counter('switchboard_commands_total', 'Messages dispatched, by registered command and outcome (ok, refused, unknown, error, timeout, limited…)', ['command', 'outcome'], function* () {
    for (const [command, byResult] of sources.dispatch.counts) for (const [outcome, n] of byResult) yield [{ command, outcome }, n];
  });
  registry.registerMetric(dispatchHistogram(sources.dispatch));

  // The outbox, per adapter.
  const perAdapter = (field: 'accepted' | 'delivered' | 'failed' | 'retried' | 'deferred' | 'withdrawn' | 'windowWaits') =>
    function* (): Iterable<[Record<string, string>, number]> {
      const counts = host.outbox.counts();
      for (const adapter of new Set([...adapterNames(), ...counts.keys()])) yield [{ adapter }, counts.get(adapter)?.[field] ?? 0];
    };
  gauge('switchboard_outbox_pending', 'Messages accepted and not yet delivered or failed', ['adapter'], function* () {
    const pending = host.outbox.pendingByPlatform();
    for (const adapter of new Set([...adapterNames(), ...pending.keys()])) yield [{ adapter }, pending.get(adapter) ?? 0];
  });
  counter('switchboard_outbox_accepted_total', 'Messages the outbox accepted (persisted) for delivery', ['adapter'], perAdapter('accepted'));
  counter('switchboard_outbox_delivered_total', 'Messages delivered', ['adapter'], perAdapter('delivered'));
  counter('switchboard_outbox_failed_total', 'Messages that failed for good (permanent error, or retried past the give-up time)', ['adapter'], perAdapter('failed'));
  counter('switchboard_outbox_retried_total', 'Send attempts that failed transiently and are retried', ['adapter'], perAdapter('retried'));
  counter('switchboard_outbox_deferred_total', 'Messages the platform would take only later (outside a reply window)', ['adapter'], perAdapter('deferred'));
  counter('switchboard_outbox_withdrawn_total', 'Messages taken back by their sender before they went out', ['adapter'], perAdapter('withdrawn'));
  counter('switchboard_outbox_window_waits_total', 'Times a chat began to wait for a reply window (QQ)', ['adapter'], perAdapter('windowWaits'));
  gauge('switchboard_outbox_window_waiting', 'Chats waiting for a reply window now (QQ)', ['adapter'], function* () {
    const waiting = host.outbox.windowWaiting();
    for (const adapter of new Set([...adapterNames(), ...waiting.keys()])) yield [{ adapter }, waiting.get(adapter) ?? 0];
  });

  // Adapters and feeds.
  gauge('switchboard_adapter_up', '1 when the adapter is ready, else 0', ['adapter'], function* () {
    for (const adapter of adapterNames()) yield [{ adapter }, sources.adapterStatus.get(adapter)?.state === 'ready' ? 1 : 0];
  });
  gauge('switchboard_adapter_status', 'The adapter\'s state: 1 for the state it is in, 0 for the others', ['adapter', 'state'], function* () {
    for (const adapter of adapterNames()) {
      const now = sources.adapterStatus.get(adapter)?.state ?? 'starting';
      for (const state of AdapterStates) yield [{ adapter, state }, state === now ? 1 : 0];
    }
  });
  gauge('switchboard_feed_up', '1 when the feed is connected, else 0', ['feed'], function* () {
    for (const source of relay()?.sources ?? []) yield [{ feed: source.name }, source.stats().state === 'connected' ? 1 : 0];
  });
  gauge('switchboard_feed_status', 'The feed\'s state: 1 for the state it is in, 0 for the others', ['feed', 'state'], function* () {
    for (const source of relay()?.sources ?? []) {
      const now = source.stats().state;
      for (const state of FeedStates) yield [{ feed: source.name, state }, state === now ? 1 : 0];
    }
  });
  const perFeed = (read: (stats: ReturnType<RelayContext['sources'][number]['stats']>) => number | undefined) =>
    function* (): Iterable<[Record<string, string>, number]> {
      for (const source of relay()?.sources ?? []) {
        const value = read(source.stats());
        if (value !== undefined) yield [{ feed: source.name }, value];
      }
    };
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
  gauge('switchboard_alerts_acked', 'Open alerts someone has acknowledged', [], function* () {
    const r = relay();
    if (r) yield [{}, r.alerts.open().filter((a) => a.status === 'acknowledged').length];
  });
  counter('switchboard_alerts_paged_total', 'Alerts whose first page went out', [], function* () {
    const r = relay();
    if (r) yield [{}, r.alerting.counts.paged];
  });
  counter('switchboard_alerts_escalated_total', 'Escalation steps that paged someone', [], function* () {
    const r = relay();
    if (r) yield [{}, r.alerting.counts.escalated];
  });
  gauge('switchboard_silences_active', 'Silences in force', [], function* () {
    const r = relay();
    if (r) yield [{}, r.silences.active().length];
  });
  gauge('switchboard_quiet_hours_held', 'Notifications held for people in their quiet hours, to go out in their digest', [], function* () {
    const r = relay();
    if (r) yield [{}, r.quiet.heldCount()];
  });

  // The bridge.
  gauge('switchboard_users', 'Users in the directory, by tier', ['tier'], function* () {
    const users = host.directory.list();
    for (const tier of Tiers) yield [{ tier }, users.filter((u) => u.tier === tier).length];
  });
  new Gauge({
    name: 'switchboard_store_up',
    help: '1 when the store answers (the Redis store: connected and answering PING; the file store: open and writable)',
    registers,
    async collect(this: Gauge) {
      this.set(await host.store.check?.().then(() => 1, () => 0) ?? 1);
    },
  });
  new Gauge({
    name: 'switchboard_ready',
    help: '1 when /readyz answers 200',
    registers,
    async collect(this: Gauge) {
      this.set((await sources.ready()) ? 1 : 0);
    },
  });
  const stopSampler = registerProcessMetrics(registry);
  return { registry, stop: stopSampler };
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
