import { afterEach, describe, expect, it } from 'vitest';
import { Bridge, MemoryStore } from '@switchboard/core';
import { MemoryAdapter, memoryUser } from '@switchboard/core/testing';
import { Relay, RelaySections, type Update } from '@switchboard/relay';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

const update: Update = { source: 'lab', key: 'oven', topic: 'temperature', severity: 'warning', state: 'hot', text: 'Oven hot', at: 0, resolved: false };

function relayBridge() {
  const relay = new Relay({ feeds: [], routes: RelaySections.routes.parse([{ match: {}, notify: { users: ['uma'] } }]), relay: RelaySections.relay.parse({ startJitter: 0, flap: false }) });
  const adapter = new MemoryAdapter();
  const bridge = new Bridge({ store: new MemoryStore(), adapters: [adapter], users: [memoryUser('uma', 'user')], plugins: [relay] });
  return { relay, bridge, adapter };
}

describe('the relay context', () => {
  it('exists only while the relay runs: nothing before the start, everything after it, nothing after the stop', async () => {
    const { relay, bridge } = relayBridge();
    expect(relay.context).toBeUndefined();
    await expect(relay.handle(update)).rejects.toThrow('the relay is not running');
    await bridge.start();
    const context = relay.context!;
    for (const part of ['states', 'router', 'alerts', 'alerting', 'silences', 'quiet', 'delivery', 'health', 'sources'] as const) expect(context[part], part).toBeDefined();
    expect(context.host).toBe(bridge);
    expect((await relay.handle({ ...update, at: Date.now() })).recipients).toEqual(['uma']);
    expect(context.states.list().map((s) => s.key)).toEqual(['oven']);
    await bridge.stop();
    expect(relay.context).toBeUndefined();
    await expect(relay.handle(update)).rejects.toThrow('the relay is not running');
  });

  it('brings its commands as child plugins, which leave with it', async () => {
    const { bridge, adapter } = relayBridge();
    await bridge.start();
    stops.push(() => bridge.stop());
    const relayPlugin = bridge.root.plugins.get('relay')!;
    expect([...relayPlugin.plugins.keys()]).toEqual(['commands', 'alert-commands']);
    expect(bridge.registry.resolve('status')).toBeDefined();
    expect(bridge.registry.resolve('ack')).toBeDefined();
    adapter.inject({ from: 'uma', text: 'alerts' });
    await expect.poll(() => adapter.textsTo('uma').at(-1)).toBe('No open alerts.');
    await relayPlugin.plugins.get('alert-commands')!.dispose();
    expect(bridge.registry.resolve('ack')).toBeUndefined();
    expect(bridge.registry.resolve('status')).toBeDefined();
    await relayPlugin.dispose();
    expect(bridge.registry.resolve('status')).toBeUndefined();
  });
});
