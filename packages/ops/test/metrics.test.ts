import { describe, expect, it } from 'vitest';
import { waitUntil } from '@switchboard/core/testing';
import { opsBridge, useOps } from './fixtures.js';

useOps();

/** Parse Prometheus text: series name → [labels, value] pairs; and the TYPE of each family. */
function parse(text: string): { series: { name: string; labels: Record<string, string>; value: number }[]; types: Map<string, string> } {
  const series: { name: string; labels: Record<string, string>; value: number }[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name!, type!);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    series.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return { series, types };
}

const value = (text: string, name: string, labels: Record<string, string> = {}): number | undefined =>
  parse(text).series.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('/metrics', () => {
  it('counts commands by registered name and outcome, and times dispatch, with no user text in any label', async () => {
    const { base, say } = await opsBridge();
    await say('carol', 'help');
    await say('carol', 'whoami');
    await say('carol', 'promote bob'); // above carol's tier
    await say('carol', 'fl"ood{x="1"} 12345'); // an unknown command whose name is hostile
    await say('carol', '告警'); // the Chinese alias of alerts
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(value(text, 'switchboard_commands_total', { command: 'help', outcome: 'ok' })).toBe(1);
    expect(value(text, 'switchboard_commands_total', { command: 'whoami', outcome: 'ok' })).toBe(1);
    expect(value(text, 'switchboard_commands_total', { command: 'promote', outcome: 'refused' })).toBe(1);
    expect(value(text, 'switchboard_commands_total', { command: '_unknown', outcome: 'unknown' })).toBe(1);
    expect(value(text, 'switchboard_commands_total', { command: 'alerts', outcome: 'ok' })).toBe(1);
    expect(value(text, 'switchboard_dispatch_duration_seconds_count')).toBe(5);
    expect(value(text, 'switchboard_dispatch_duration_seconds_bucket', { le: '+Inf' })).toBe(5);
    expect(text).not.toContain('fl');
    expect(text).not.toContain('12345');
    // Message ids and user names never become labels.
    const labels = new Set(parse(text).series.flatMap((s) => Object.keys(s.labels)));
    expect([...labels].sort()).toEqual(expect.arrayContaining(['adapter', 'command', 'outcome']));
    for (const label of labels) expect(['adapter', 'command', 'outcome', 'feed', 'state', 'severity', 'tier', 'le', 'quantile', 'version', 'major', 'minor', 'patch']).toContain(label);
  });

  it('follows names and types Prometheus expects: switchboard_ prefix, counters end in _total, times in _seconds', async () => {
    const { base } = await opsBridge();
    const { series, types } = parse(await (await fetch(`${base}/metrics`)).text());
    for (const s of series) expect(s.name).toMatch(/^switchboard_/);
    for (const [name, type] of types) {
      if (type === 'counter') expect(name).toMatch(/_total$/);
      if (type === 'histogram') expect(name).toMatch(/_seconds$/);
    }
    // Process metrics are there, under the same prefix.
    expect(types.get('switchboard_process_cpu_seconds_total')).toBe('counter');
    expect(types.get('switchboard_process_resident_memory_bytes')).toBe('gauge');
  });

  it('reports the outbox per adapter: accepted, delivered, failed, retried, pending', async () => {
    let fail = false;
    const { base, say, bridge, adapter } = await opsBridge();
    await say('carol', 'help');
    const before = await (await fetch(`${base}/metrics`)).text();
    expect(value(before, 'switchboard_outbox_accepted_total', { adapter: 'memory' })).toBe(1);
    expect(value(before, 'switchboard_outbox_delivered_total', { adapter: 'memory' })).toBe(1);
    expect(value(before, 'switchboard_outbox_pending', { adapter: 'memory' })).toBe(0);
    // A permanent failure, then a transient one that succeeds on the retry.
    fail = true;
    let attempts = 0;
    Object.assign(adapter, {
      send: () => {
        attempts++;
        if (fail) {
          fail = false;
          return Promise.resolve({ type: 'failed', reason: 'blocked by the platform' });
        }
        return Promise.resolve(attempts === 2 ? { type: 'retry', afterMs: 10, reason: 'rate limited' } : { type: 'delivered' });
      },
    });
    await bridge.outbox.enqueue({ to: { platform: 'memory', kind: 'dm', id: 'carol' }, text: 'one', createdAt: Date.now(), priority: 'normal' });
    await bridge.outbox.enqueue({ to: { platform: 'memory', kind: 'dm', id: 'carol' }, text: 'two', createdAt: Date.now(), priority: 'normal' });
    await waitUntil(() => bridge.outbox.size === 0, 'both messages to end');
    const after = await (await fetch(`${base}/metrics`)).text();
    expect(value(after, 'switchboard_outbox_accepted_total', { adapter: 'memory' })).toBe(3);
    expect(value(after, 'switchboard_outbox_failed_total', { adapter: 'memory' })).toBe(1);
    expect(value(after, 'switchboard_outbox_retried_total', { adapter: 'memory' })).toBe(1);
    expect(value(after, 'switchboard_outbox_delivered_total', { adapter: 'memory' })).toBe(2);
  });

  it('reports feeds, adapters and alerts: frames, state, open, acked and paged', async () => {
    const { base, fire, say, source, bridge } = await opsBridge();
    fire('oven', 'error', 'too hot');
    await waitUntil(() => bridge.adapters.length > 0 && (bridge.services.get('relay') as { alerts: { open(): unknown[] } }).alerts.open().length === 1, 'the alert');
    let text = await (await fetch(`${base}/metrics`)).text();
    expect(value(text, 'switchboard_alerts_open', { severity: 'error', state: 'firing' })).toBe(1);
    expect(value(text, 'switchboard_alerts_paged_total')).toBe(1);
    expect(value(text, 'switchboard_feed_up', { feed: 'lab' })).toBe(1);
    expect(value(text, 'switchboard_feed_status', { feed: 'lab', state: 'connected' })).toBe(1);
    expect(value(text, 'switchboard_adapter_up', { adapter: 'memory' })).toBe(1);
    expect(await say('carol', 'ack')).toMatch(/#1/);
    source().go('reconnecting', 'closed 1006');
    text = await (await fetch(`${base}/metrics`)).text();
    expect(value(text, 'switchboard_alerts_open', { severity: 'error', state: 'acknowledged' })).toBe(1);
    expect(value(text, 'switchboard_alerts_acked')).toBe(1);
    expect(value(text, 'switchboard_feed_up', { feed: 'lab' })).toBe(0);
    expect(value(text, 'switchboard_feed_status', { feed: 'lab', state: 'reconnecting' })).toBe(1);
    expect(value(text, 'switchboard_ready')).toBe(0);
    expect(value(text, 'switchboard_store_up')).toBe(1);
  });

  it('is off with metrics: false', async () => {
    const { base } = await opsBridge({ http: { metrics: false } });
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
