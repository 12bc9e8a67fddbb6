// When pages, escalations and reminders go out: counted from the first page actually sent, released at once
// after a hold, never twice, and with no timer spinning while something is held.
import { describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '@switchboard/core';
import { Alerting, RelaySections } from '@switchboard/relay';
import { ManualSource } from '@switchboard/relay/testing';
import { alertBridge, running, settle, useFakeClock } from '../fixtures/alerting.js';

useFakeClock();

const minutes = (n: number) => n * 60_000;
const escalations = (texts: string[]) => texts.filter((t) => t.startsWith('⏫'));
const reminders = (texts: string[]) => texts.filter((t) => t.startsWith('🔁'));

describe('alert schedule', () => {
  it('keeps reminding after the last escalation step while the alert fires unacknowledged', async () => {
    const routes = RelaySections.routes.parse([
      { name: 'heat', match: { topic: 'temperature' }, notify: { users: ['uma'] }, subscribers: 'user', alert: { severity: 'warning', groupWait: '0s', repeatInterval: '30m', escalate: [{ after: '10m', notify: { tier: 'admin' } }] } },
    ]);
    const { feed, inbox } = await alertBridge(routes);
    await feed({});
    await settle(minutes(10));
    expect(escalations(inbox('ada'))).toHaveLength(1);
    await settle(minutes(85));
    // Reminders at 30, 60 and 90 minutes go to everyone told, the escalated admin included.
    expect(reminders(inbox('uma'))).toHaveLength(3);
    expect(reminders(inbox('ada'))).toHaveLength(3);
  });

  it('counts the first escalation step from the page sent after the group wait, not from the opening', async () => {
    const routes = RelaySections.routes.parse([
      { name: 'heat', match: { topic: 'temperature' }, notify: { users: ['uma'] }, subscribers: 'user', alert: { severity: 'warning', groupWait: '2m', escalate: [{ after: '10m', notify: { tier: 'admin' } }] } },
    ]);
    const { feed, inbox } = await alertBridge(routes);
    await feed({});
    await settle(minutes(2));
    expect(inbox('uma')).toHaveLength(1);
    await settle(minutes(10) - 1000);
    expect(escalations(inbox('ada'))).toEqual([]);
    await settle(1000);
    expect(escalations(inbox('ada'))).toHaveLength(1);
  });

  it('pages at once when a silence ends, and escalates a whole step later', async () => {
    const routes = RelaySections.routes.parse([
      { name: 'heat', match: { topic: 'temperature' }, notify: { users: ['uma'] }, subscribers: 'user', alert: { severity: 'warning', groupWait: '0s', escalate: [{ after: '10m', notify: { tier: 'admin' } }] } },
    ]);
    const { feed, inbox, say } = await alertBridge(routes);
    expect(await say('root1', 'silence device=oven 30m maintenance')).toMatch(/^Silence \d+:/);
    await feed({});
    await settle(minutes(30));
    expect(inbox('uma')).toEqual(['⚠️ #1 oven: Oven at 70 °C']);
    expect(escalations(inbox('ada'))).toEqual([]);
    await settle(minutes(10) - 1000);
    expect(escalations(inbox('ada'))).toEqual([]);
    await settle(1000);
    expect(escalations(inbox('ada'))).toHaveLength(1);
  });

  it('holds a label silence through every later sweep, not only at intake', async () => {
    const routes = RelaySections.routes.parse([
      { name: 'disks', match: { source: 'lab' }, notify: { users: ['uma'] }, subscribers: 'user', alert: { severity: 'warning', groupWait: '0s', repeatInterval: '5m', escalate: [{ after: '10m', notify: { tier: 'admin' } }] } },
    ]);
    const { feed, inbox, say } = await alertBridge(routes);
    expect(await say('root1', 'silence team=storage 2h')).toMatch(/^Silence \d+:/);
    await feed({ key: 'disk-3', topic: 'disk', labels: { team: 'storage' }, text: 'Disk 3 failing' });
    await settle(minutes(60));
    expect(inbox('uma')).toEqual([]);
    expect(inbox('ada')).toEqual([]);
  });

  it('sends a page held while its feed was down once, at once when the feed is back, and does not spin meanwhile', async () => {
    let source!: ManualSource;
    const routes = RelaySections.routes.parse([
      { name: 'lab', match: { source: 'lab' }, notify: { users: ['uma'] }, subscribers: 'user', alert: { severity: 'error', groupWait: '0s', repeatInterval: '5m', escalate: [{ after: '5m', notify: { tier: 'admin' } }] } },
    ]);
    const bridge = await alertBridge(routes, {
      relay: { sourceDownAfter: '1m' },
      feeds: RelaySections.feeds.parse([{ name: 'lab', type: 'websocket', url: 'ws://127.0.0.1:1' }]),
      createSource: (feed: { name: string }) => (source = new ManualSource(feed.name)),
    });
    const { relay, inbox } = bridge;
    await settle();
    // A pump fails and is paged; then its feed goes down for 20 minutes (its reminder and escalation fall due then).
    await relay.handle({ source: 'lab', key: 'pump', topic: 'pump', severity: 'error', state: 'failed', text: 'Pump failed', at: Date.now(), resolved: false });
    await settle();
    expect(inbox('uma')).toEqual(['❗ #1 pump: Pump failed']);
    source.go('reconnecting', 'closed 1006');
    await settle(minutes(1));
    const escalate = vi.spyOn(Alerting.prototype as unknown as { escalate: () => Promise<void> }, 'escalate');
    await settle(minutes(20));
    expect(escalate.mock.calls.length).toBeLessThan(10);
    expect(escalations(inbox('ada'))).toEqual([]);
    expect(reminders(inbox('uma'))).toEqual([]);

    source.go('connected');
    await settle();
    // Back: what fell due goes out at once, once: the escalation, and one reminder (not one per missed interval).
    expect(escalations(inbox('ada'))).toHaveLength(1);
    expect(reminders(inbox('uma'))).toHaveLength(1);
    await Promise.all([relay.context!.alerting.sweep(), relay.context!.alerting.sweep(), relay.context!.alerting.sweep()]);
    await settle();
    expect(escalations(inbox('ada'))).toHaveLength(1);
    expect(reminders(inbox('uma'))).toHaveLength(1);
  });

  it('runs one escalation pass at a time: sweeps asked for together page once', async () => {
    const routes = RelaySections.routes.parse([
      { name: 'heat', match: { topic: 'temperature' }, notify: { users: ['uma'] }, subscribers: 'user', alert: { severity: 'warning', groupWait: '0s', escalate: [{ after: '10m', notify: { tier: 'admin' } }] } },
    ]);
    const { feed, inbox, say, relay } = await alertBridge(routes);
    expect(await say('root1', 'silence device=oven 30m')).toMatch(/^Silence \d+:/);
    await feed({});
    await settle(minutes(5));
    expect(await say('root1', 'unsilence 1')).toMatch(/./);
    await Promise.all([relay.context!.alerting.sweep(), relay.context!.alerting.sweep(), relay.context!.alerting.sweep()]);
    await settle();
    expect(inbox('uma')).toEqual(['⚠️ #1 oven: Oven at 70 °C']);
  });
});

describe('quiet-hours digest', () => {
  it('sends a digest that fell due while the bridge was down as soon as it starts again', async () => {
    const routes = RelaySections.routes.parse([
      { name: 'heat', match: { topic: 'temperature' }, notify: { users: ['uma'] }, alert: { severity: 'warning', groupWait: '0s' } },
    ]);
    const store = new MemoryStore();
    const first = await alertBridge(routes, { store });
    await first.say('uma', 'quiet 23:00-07:00 Asia/Shanghai');
    vi.setSystemTime(new Date('2026-11-23T16:00:00Z')); // midnight in Shanghai
    await first.feed({});
    expect(first.inbox('uma').filter((t) => t.includes('Oven'))).toEqual([]);
    await first.bridge.stop();
    running.length = 0;

    // Down across the end of the quiet hours (07:00 in Shanghai is 23:00 UTC); back at 08:30 there.
    vi.setSystemTime(new Date('2026-11-24T00:30:00Z'));
    const second = await alertBridge(routes, { store });
    await settle();
    expect(second.inbox('uma')[0]).toBe('While you were in quiet hours (1):\n• ⚠️ #1 oven: Oven at 70 °C');
  });
});

describe('grouped resolves', () => {
  it('tells the resolves of a group paged together in one message per person, after the group wait', async () => {
    const routes = RelaySections.routes.parse([
      { name: 'racks', match: { source: 'dc' }, notify: { users: ['uma'] }, alert: { severity: 'warning', groupWait: '30s' } },
    ]);
    const { feed, inbox } = await alertBridge(routes);
    for (let i = 1; i <= 5; i++) await feed({ source: 'dc', key: `rack-${i}`, topic: 'power', text: `rack ${i} on battery` });
    await settle(30_000);
    expect(inbox('uma')).toHaveLength(1);
    expect(inbox('uma')[0]).toMatch(/^⚠️ 5 new alerts:/);
    for (let i = 1; i <= 5; i++) await feed({ source: 'dc', key: `rack-${i}`, topic: 'power', state: 'ok', severity: 'info', resolved: true, text: `rack ${i} on mains` });
    expect(inbox('uma')).toHaveLength(1);
    await settle(30_000);
    expect(inbox('uma')).toEqual([
      expect.stringMatching(/^⚠️ 5 new alerts:/),
      '✅ 5 alerts resolved:\n#1 rack-1: rack 1 on mains\n#2 rack-2: rack 2 on mains\n#3 rack-3: rack 3 on mains\n#4 rack-4: rack 4 on mains\n#5 rack-5: rack 5 on mains',
    ]);
  });

  it('keeps a new alert of the same device open when its earlier resolve is told later', async () => {
    const routes = RelaySections.routes.parse([
      { name: 'racks', match: { source: 'dc' }, notify: { users: ['uma'] }, alert: { severity: 'warning', groupWait: '30s' } },
    ]);
    const { feed, relay } = await alertBridge(routes);
    await feed({ source: 'dc', key: 'rack-1', topic: 'power' });
    await settle(30_000);
    await feed({ source: 'dc', key: 'rack-1', topic: 'power', state: 'ok', severity: 'info', resolved: true });
    await feed({ source: 'dc', key: 'rack-1', topic: 'power', state: 'hot' });
    await settle(30_000);
    expect(relay.context!.alerts.open().map((a) => a.id)).toEqual([2]);
    await feed({ source: 'dc', key: 'rack-1', topic: 'power', state: 'hot', text: 'again' });
    expect(relay.context!.alerts.get(2)).toMatchObject({ count: 2, status: 'firing' });
  });
});

describe('inhibition by another alert', () => {
  const routes = RelaySections.routes.parse([
    { name: 'dc', match: { source: 'dc' }, notify: { users: ['uma'] }, alert: { severity: 'warning', groupWait: '0s' } },
  ]);
  const inhibit = [{ source: ['topic=power'], target: ['topic=temperature'], equal: ['rack'] }];

  it('holds targets with equal labels while the source alert is open, and pages them at once when it closes', async () => {
    const { feed, inbox } = await alertBridge(routes, { relay: { inhibit } });
    await feed({ source: 'dc', key: 'pdu-1', topic: 'power', labels: { rack: 'r1' }, text: 'rack r1 on battery' });
    await feed({ source: 'dc', key: 'srv-1', topic: 'temperature', labels: { rack: 'r1' }, text: 'srv-1 hot' });
    await feed({ source: 'dc', key: 'srv-9', topic: 'temperature', labels: { rack: 'r2' }, text: 'srv-9 hot' });
    expect(inbox('uma')).toEqual(['⚠️ #1 pdu-1: rack r1 on battery', '⚠️ #3 srv-9: srv-9 hot']);
    await settle(60 * 60_000);
    expect(inbox('uma')).toHaveLength(2);
    await feed({ source: 'dc', key: 'pdu-1', topic: 'power', labels: { rack: 'r1' }, state: 'ok', severity: 'info', resolved: true, text: 'rack r1 on mains' });
    expect(inbox('uma').slice(2)).toEqual(['✅ #1 resolved: pdu-1: rack r1 on mains', '⚠️ #2 srv-1: srv-1 hot']);
  });

  it('refuses an inhibition rule whose matchers cannot be read, naming it', () => {
    const result = RelaySections.relay.safeParse({ inhibit: [{ source: ['topic'], target: ['topic=temperature'] }] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ path: ['inhibit', 0, 'source'], message: expect.stringContaining('"topic" is not a matcher') });
  });
});
