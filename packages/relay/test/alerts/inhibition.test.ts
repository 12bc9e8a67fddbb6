import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Bridge, MemoryStore } from '@switchboard/core';
import { MemoryAdapter } from '@switchboard/core/testing';
import { Relay, RelaySections } from '@switchboard/relay';
import { ManualSource } from '@switchboard/relay/testing';

const running: Bridge[] = [];
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'setImmediate'] });
});
afterEach(async () => {
  for (const b of running.splice(0)) await b.stop();
  vi.useRealTimers();
});
const settle = async (ms = 0) => {
  await vi.advanceTimersByTimeAsync(ms);
  for (let i = 0; i < 5; i++) await vi.advanceTimersByTimeAsync(0);
};

async function setup() {
  const adapter = new MemoryAdapter();
  let source!: ManualSource;
  const relay = new Relay({
    feeds: RelaySections.feeds.parse([{ name: 'lab', type: 'websocket', url: 'ws://127.0.0.1:1' }]),
    routes: RelaySections.routes.parse([
      { name: 'lab', match: { source: 'lab' }, notify: { users: ['uma'] }, alert: { severity: 'error', groupWait: '0s', escalate: [{ after: '5m', notify: { tier: 'admin' } }] } },
    ]),
    relay: RelaySections.relay.parse({ startJitter: 0, sourceDownAfter: '1m' }),
    createSource: (feed) => (source = new ManualSource(feed.name)),
  });
  const id = (name: string) => [{ platform: 'memory', id: name }];
  const bridge = new Bridge({
    store: new MemoryStore(),
    adapters: [adapter],
    plugins: [relay],
    users: [
      { name: 'ada', tier: 'admin', identities: id('ada') },
      { name: 'uma', tier: 'user', identities: id('uma') },
    ],
  });
  const started = bridge.start();
  await settle();
  await started;
  running.push(bridge);
  await settle();
  return { relay, source, inbox: (who: string) => adapter.textsTo(who) };
}

describe('inhibition while a feed is down', () => {
  it('ignores a short blip', async () => {
    const { source, inbox } = await setup();
    source.go('reconnecting', 'closed 1006');
    await settle(30_000);
    source.go('connected');
    await settle(120_000);
    expect(inbox('ada')).toEqual([]);
  });

  it('pages admins once when a feed stays down, holds its devices’ alerts, and releases them when it is back', async () => {
    const { source, inbox, relay } = await setup();
    source.go('reconnecting', 'closed 1006');
    await settle(60_000);
    expect(inbox('ada')).toEqual(["❗ #1 lab: feed lab is down (closed 1006); its devices' alerts are held"]);
    expect(relay.context!.health.isDown('lab')).toBe(true);
    source.go('connected');
    source.go('reconnecting', 'closed 1006');
    await settle(60_000);

    // A problem reported while the feed is considered down (a webhook twin, or the last frames).
    source.go('failed', 'still down');
    await relay.handle({ source: 'lab', key: 'pump', topic: 'pump', severity: 'error', state: 'failed', text: 'Pump failed', at: Date.now(), resolved: false });
    await settle(10 * 60_000);
    expect(inbox('uma')).toEqual([]);
    expect(inbox('ada').filter((t) => t.includes('Pump'))).toEqual([]);

    source.go('connected');
    await settle();
    expect(inbox('ada').at(-1)).toMatch(/^✅ #\d+ resolved: lab: feed lab is back/);
    expect(inbox('uma')).toEqual([expect.stringMatching(/^❗ #\d+ pump: Pump failed$/)]);
  });
});
