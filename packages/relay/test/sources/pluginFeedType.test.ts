import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Bridge, ConfigError, MemoryStore, definePlugin } from '@switchboard/core';
import { MemoryAdapter, memoryUser, waitUntil } from '@switchboard/core/testing';
import { RelayConfigSchema, defineFeedType, relayPlugin } from '@switchboard/relay';
import { ManualSource } from '@switchboard/relay/testing';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** A plugin bringing a feed type "ticker" whose sources the test drives by hand. */
function tickerPlugin(made: { name: string; config: unknown; source: ManualSource }[]) {
  return definePlugin({
    name: 'ticker',
    apply(ctx) {
      ctx.feed(
        'ticker',
        defineFeedType({
          schema: z.object({ every: z.number().int().min(1) }).strict(),
          create(config, env) {
            const source = new ManualSource(env.name);
            made.push({ name: env.name, config, source });
            return source;
          },
        }),
      );
    },
  });
}

async function bridgeWith(feeds: unknown[], made: { name: string; config: unknown; source: ManualSource }[]) {
  const adapter = new MemoryAdapter();
  const relay = RelayConfigSchema.parse({ feeds, routes: [{ match: {}, notify: { users: ['uma'] } }], relay: { startJitter: 0, flap: false } });
  const bridge = new Bridge({ store: new MemoryStore(), adapters: [adapter], users: [memoryUser('uma', 'user')], plugins: [tickerPlugin(made), { plugin: relayPlugin, config: relay }] });
  return { bridge, adapter };
}

describe('a feed type from a plugin', () => {
  it('is registered through ctx.feed, checked by its schema, and its source feeds the relay like a built-in one', async () => {
    const made: { name: string; config: unknown; source: ManualSource }[] = [];
    const { bridge, adapter } = await bridgeWith([{ name: 'pump', type: 'ticker', every: 5 }, { name: 'lab', type: 'websocket', url: 'ws://127.0.0.1:1' }], made);
    await bridge.start();
    stops.push(() => bridge.stop());
    expect(made.map((m) => [m.name, m.config])).toEqual([['pump', { every: 5 }]]);
    expect(bridge.feedTypes.names().sort()).toEqual(['homeassistant', 'mqtt', 'ticker', 'webhook', 'websocket']);
    await waitUntil(() => made[0]!.source.stats().state === 'connected', 'the ticker feed to connect');
    made[0]!.source.push({ source: 'pump', key: 'pump-1', topic: 'pump', state: 'stalled', severity: 'warning', text: 'Pump stalled', resolved: false, at: Date.now() });
    await waitUntil(() => adapter.textsTo('uma').length === 1, 'the relayed change');
    expect(adapter.textsTo('uma')[0]).toContain('pump-1');
  });

  it('an entry whose type nobody brings, or that its type refuses, stops the start naming the entry', async () => {
    for (const [feed, message] of [
      [{ name: 'x', type: 'carrier-pigeon' }, /feeds\.0\.type: no feed type "carrier-pigeon" \(known: websocket, homeassistant, mqtt, webhook, ticker\)/],
      [{ name: 'x', type: 'ticker', every: 0 }, /feeds\.0\.every: Number must be greater than or equal to 1/],
    ] as const) {
      const { bridge } = await bridgeWith([feed], []);
      const error = await bridge.start().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
      expect(bridge.running).toBe(false);
    }
  });
});
