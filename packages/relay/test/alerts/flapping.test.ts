// A device that changes faster than anyone can read is told about a few times, then in one summary per window.
import { describe, expect, it } from 'vitest';
import { RelaySections } from '@switchboard/relay';
import { alertBridge, settle, useFakeClock } from '../fixtures/alerting.js';

const routes = RelaySections.routes.parse([{ match: { topic: 'door' }, notify: { users: ['uma'] } }]);

useFakeClock();

async function flap(bridge: Awaited<ReturnType<typeof alertBridge>>, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const open = i % 2 === 0;
    await bridge.feed(open ? { key: 'door', topic: 'door', state: 'open', text: 'Open' } : { key: 'door', topic: 'door', state: 'ok', severity: 'info', resolved: true, text: 'Closed' });
    await settle(20);
  }
}

describe('flap damping', () => {
  it('tells the first 5 changes of a minute, then one summary with the count and the state now', async () => {
    const bridge = await alertBridge(routes);
    await flap(bridge, 50);
    expect(bridge.inbox('uma')).toHaveLength(5);
    await settle(60_000);
    expect(bridge.inbox('uma')).toHaveLength(6);
    expect(bridge.inbox('uma').at(-1)).toBe('〰️ door changed 50 times in 1m, now ok');
    // Quiet again: the next change is told as usual.
    await settle(5 * 60_000);
    await bridge.feed({ key: 'door', topic: 'door', state: 'open', text: 'Open' });
    expect(bridge.inbox('uma').at(-1)).toBe('⚠️ door: Open');
  });

  it('goes to the audience of the worst state it flapped through', async () => {
    const bridge = await alertBridge(RelaySections.routes.parse([
      { match: { topic: 'door', severity: 'error' }, notify: { tier: 'admin' }, continue: true },
      { match: { topic: 'door' }, notify: { users: ['uma'] } },
    ]));
    for (let i = 0; i < 10; i++) {
      await bridge.feed(i === 7 ? { key: 'door', topic: 'door', state: 'forced', severity: 'error', text: 'Forced' } : { key: 'door', topic: 'door', state: i % 2 ? 'ok' : 'open', severity: i % 2 ? 'info' : 'warning', resolved: i % 2 === 1 });
    }
    await settle(60_000);
    expect(bridge.inbox('ada')).toEqual(['〰️ door changed 10 times in 1m, now ok']);
    expect(bridge.inbox('uma').at(-1)).toBe('〰️ door changed 10 times in 1m, now ok');
  });

  it('is off with relay.flap: false', async () => {
    const bridge = await alertBridge(routes, { relay: { flap: false } });
    await flap(bridge, 20);
    expect(bridge.inbox('uma')).toHaveLength(20);
  });
});

describe('flap damping on a rule with an alert policy', () => {
  const alertRoutes = RelaySections.routes.parse([
    { name: 'doors', match: { topic: 'door' }, notify: { users: ['uma'] }, alert: { severity: 'warning', groupWait: '0s' } },
  ]);

  it('pages a flapping device a few times, then sends one summary; an alert still open afterwards pages once', async () => {
    const bridge = await alertBridge(alertRoutes);
    await flap(bridge, 51); // ends open
    const before = bridge.inbox('uma').length;
    // The first 5 changes (3 pages, 2 resolves), and the resolve of the last alert paged: nothing after.
    expect(before).toBe(6);
    await settle(60_000);
    const after = bridge.inbox('uma').slice(before);
    expect(after[0]).toBe('〰️ door changed 51 times in 1m, now open');
    expect(after.slice(1)).toEqual([expect.stringMatching(/^⚠️ #\d+ door: Open$/)]);
    expect(bridge.relay.context!.alerts.open()).toHaveLength(1);
  });

  it('leaves nothing open and pages nobody more when the device ends closed', async () => {
    const bridge = await alertBridge(alertRoutes);
    await flap(bridge, 50); // ends closed
    const before = bridge.inbox('uma').length;
    await settle(60_000);
    expect(bridge.inbox('uma').slice(before)).toEqual(['〰️ door changed 50 times in 1m, now ok']);
    expect(bridge.relay.context!.alerts.open()).toEqual([]);
  });
});
