import { describe, expect, it, vi } from 'vitest';
import { MemoryStore, type Store } from '@switchboard/core';
import { RelaySections, type Update } from '@switchboard/relay';
import { alertBridge, running, settle, useFakeClock } from '../fixtures/alerting.js';

const routes = RelaySections.routes.parse([
  {
    name: 'heat',
    match: { topic: 'temperature' },
    notify: { users: ['uma'] },
    subscribers: 'user',
    alert: { severity: 'warning', groupWait: '0s', escalate: [{ after: '10m', notify: { tier: 'admin' } }, { after: '20m', notify: { tier: 'root' } }] },
  },
  { name: 'vault', match: { source: 'vault' }, notify: { tier: 'root' }, alert: { severity: 'warning', groupWait: '0s' } },
  {
    name: 'racks',
    match: { source: 'dc' },
    notify: { users: ['uma', 'ada'] },
    alert: { severity: 'warning', groupWait: '30s', repeatInterval: '1h' },
  },
]);

useFakeClock();

const setup = (store?: Store) => alertBridge(routes, store ? { store } : {});

describe('alert lifecycle', () => {
  it('opens an alert with a short id, counts repeats without sending, and tells of a rise in severity', async () => {
    const { feed, inbox, relay } = await setup();
    await feed({});
    expect(inbox('uma')).toEqual(['⚠️ #1 oven: Oven at 70 °C']);
    await feed({ text: 'Oven at 71 °C' });
    await feed({ text: 'Oven at 72 °C' });
    expect(inbox('uma')).toHaveLength(1);
    expect(relay.context!.alerts.get(1)).toMatchObject({ count: 3, status: 'firing' });
    await feed({ state: 'overheat', severity: 'critical', text: 'Oven at 95 °C' });
    expect(inbox('uma').at(-1)).toBe('🔥 #1 is now critical: oven: Oven at 95 °C');
    expect(inbox('ada')).toEqual([]);
  });

  it('escalates to admins after 10 minutes and root after 20 more, unless acknowledged', async () => {
    const { feed, inbox } = await setup();
    await feed({});
    await settle(9 * 60_000);
    expect(inbox('ada')).toEqual([]);
    await settle(60_000);
    expect(inbox('ada')).toEqual(['⏫ #1 unacknowledged for 10m: oven: Oven at 70 °C. Send "ack 1" to take it.']);
    expect(inbox('root1')).toHaveLength(1);
    await settle(20 * 60_000);
    expect(inbox('root1')).toHaveLength(2);
    expect(inbox('root1').at(-1)).toMatch(/^⏫ #1 unacknowledged for 30m/);
    await settle(60 * 60_000);
    expect(inbox('root1')).toHaveLength(2);
  });

  it('an ack stops escalation and tells the others who took it; unack resumes it', async () => {
    const { feed, inbox, say } = await setup();
    await feed({});
    await settle(10 * 60_000);
    expect(await say('ada', 'ack #1')).toBe('You acknowledged #1.');
    expect(inbox('uma').at(-1)).toBe('👍 #1 acknowledged by ada: oven: Oven at 70 °C');
    expect(inbox('root1').at(-1)).toBe('👍 #1 acknowledged by ada: oven: Oven at 70 °C');
    await settle(60 * 60_000);
    expect(inbox('root1').filter((t) => t.startsWith('⏫'))).toHaveLength(1);
    expect(await say('uma', 'ack 1')).toBe('#1 was already acknowledged by ada.');
    expect(await say('ada', 'unack #1')).toBe('#1 is unacknowledged again.');
    await settle(20 * 60_000);
    expect(inbox('root1').filter((t) => t.startsWith('⏫'))).toHaveLength(2);
  });

  it('acks, snoozes and silences land in the audit trail, with who did them and how it went', async () => {
    const { feed, say, bridge } = await setup();
    await feed({});
    await say('ada', 'ack #1');
    await say('uma', 'ack #1');
    await say('ada', 'snooze #1 30m');
    await say('ada', 'silence device=oven 1h oven maintenance');
    await say('uma', 'resolve #1');
    const entries = await bridge.audit.latest();
    expect(entries.map((e) => `${e.actor}(${e.tier}) ${e.command} ${e.args.join(' ')} → ${e.outcome}`)).toEqual([
      'ada(admin) ack #1 → ok',
      'uma(user) ack #1 → error',
      'ada(admin) snooze #1 30m → ok',
      'ada(admin) silence device=oven 1h oven maintenance → ok',
      'uma(user) resolve #1 → refused',
    ]);
    expect(entries[0]).toMatchObject({ identity: 'memory:ada', chat: 'memory:dm:ada', via: 'chat' });
    expect(entries[1]!.detail).toBe('#1 was already acknowledged by ada.');
  });

  it('a resolve closes it and tells everyone who was told', async () => {
    const { feed, inbox, say } = await setup();
    await feed({});
    await settle(10 * 60_000);
    await feed({ state: 'ok', severity: 'info', resolved: true, text: 'Oven at 40 °C' });
    for (const who of ['uma', 'ada', 'root1']) expect(inbox(who).at(-1)).toBe('✅ #1 resolved: oven: Oven at 40 °C');
    expect(await say('uma', 'alerts')).toBe('No open alerts.');
    // The next problem is a new alert.
    await feed({ text: 'Oven at 75 °C' });
    expect(inbox('uma').at(-1)).toBe('⚠️ #2 oven: Oven at 75 °C');
  });

  it('continues an escalation where it was after a restart, and does not page again', async () => {
    const store = new MemoryStore();
    const first = await setup(store);
    await first.feed({});
    await settle(6 * 60_000);
    await first.bridge.stop();
    running.length = 0;

    const second = await setup(store);
    // The feed's resync after the restart repeats the state: no new page.
    await second.feed({});
    expect(second.inbox('uma')).toEqual([]);
    await settle(3 * 60_000);
    expect(second.inbox('ada')).toEqual([]);
    await settle(60_000);
    expect(second.inbox('ada')).toEqual(['⏫ #1 unacknowledged for 10m: oven: Oven at 70 °C. Send "ack 1" to take it.']);
    expect(second.relay.context!.alerts.get(1)).toMatchObject({ count: 2, step: 1 });
  });

  it('an alert whose first page the outbox did not take stays due, and the next start pages it (never recorded as paged unsent)', async () => {
    // The outbox refuses appends while `down`: what a crash between deciding a page and its acceptance leaves.
    let down = false;
    class FlakyStore extends MemoryStore {
      override journal(name: string) {
        const journal = super.journal(name);
        if (name !== 'outbox') return journal;
        return { ...journal, readAll: () => journal.readAll(), compact: (s: () => readonly unknown[]) => journal.compact(s), append: (records: readonly unknown[], o?: { durable?: boolean }) => (down ? Promise.reject(new Error('outbox down')) : journal.append(records, o)) };
      }
    }
    const store = new FlakyStore();
    const first = await setup(store);
    down = true;
    await first.feed({}).catch(() => undefined);
    await settle(1000);
    expect(first.inbox('uma')).toEqual([]);
    expect(first.relay.context!.alerts.get(1)).toMatchObject({ status: 'firing', notified: [] });
    expect(first.relay.context!.alerts.get(1)!.pagedAt).toBeUndefined();
    await first.bridge.stop().catch(() => undefined);
    running.length = 0;

    down = false;
    const second = await setup(store);
    await second.feed({});
    await settle(1000);
    expect(second.inbox('uma')).toEqual(['⚠️ #1 oven: Oven at 70 °C']);
    expect(second.relay.context!.alerts.get(1)).toMatchObject({ notified: ['uma'] });
  });

  it('lists open alerts and hides alerts about devices the caller may not see', async () => {
    const { feed, say } = await setup();
    await feed({});
    await feed({ source: 'vault', key: 'door', topic: 'door', state: 'forced', severity: 'critical', text: 'Vault door forced' });
    expect(await say('uma', 'alerts')).toBe('#1 warning lab/oven: Oven at 70 °C — 0ms old, ×1, unacknowledged');
    expect(await say('root1', 'alerts')).toMatch(/#1 warning lab\/oven.*\n#2 critical vault\/door: Vault door forced/);
    expect(await say('ulf', 'ack #2')).toBe('There is no alert #2 that you may see.');
    expect(await say('uma', 'resolve #1')).toBe('"resolve" needs admin or above; you are user.');
    expect(await say('ada', 'resolve #2')).toBe('There is no alert #2 that you may see.');
    expect(await say('root1', 'resolve #2')).toBe('#2 is resolved.');
    expect(await say('root1', 'ack nonsense')).toBe('"nonsense" is not an alert number; use e.g. ack #12');
  });
});

describe('grouping and reminders', () => {
  const rack = (key: string, text: string): Partial<Update> => ({ source: 'dc', key, topic: 'rack', state: 'hot', text });

  it('collects a group’s new alerts during group wait into one message per user', async () => {
    const { feed, inbox } = await setup();
    await feed(rack('rack-1', 'Rack 1 at 41 °C'));
    await settle(10_000);
    await feed(rack('rack-2', 'Rack 2 at 43 °C'));
    await feed(rack('rack-3', 'Rack 3 at 40 °C'));
    // Rack 3 recovers within the wait: it never pages.
    await feed({ ...rack('rack-3', 'Rack 3 at 30 °C'), state: 'ok', severity: 'info', resolved: true });
    expect(inbox('uma')).toEqual([]);
    await settle(20_000);
    const combined = '⚠️ 2 new alerts:\n#1 rack-1: Rack 1 at 41 °C\n#2 rack-2: Rack 2 at 43 °C';
    expect(inbox('uma')).toEqual([combined]);
    expect(inbox('ada')).toEqual([combined]);
  });

  it('reminds about what is still firing and unacknowledged, and stops when acknowledged', async () => {
    const { feed, inbox, say } = await setup();
    await feed(rack('rack-1', 'Rack 1 at 41 °C'));
    await settle(30_000);
    expect(inbox('uma')).toHaveLength(1);
    await settle(60 * 60_000);
    expect(inbox('uma').at(-1)).toBe('🔁 #1 still firing after 1h, unacknowledged: rack-1: Rack 1 at 41 °C');
    expect(await say('ada', 'ack')).toBe('You acknowledged #1.');
    const count = inbox('uma').length;
    await settle(3 * 60 * 60_000);
    expect(inbox('uma')).toHaveLength(count);
  });
});

describe('silences', () => {
  it('holds pages for matching alerts while it lasts, then pages what is still firing', async () => {
    const { feed, inbox, say } = await setup();
    expect(await say('ada', 'silence device=oven,source=lab 1h oven maintenance')).toBe('Silence 1: device=oven,source=lab for 1h (oven maintenance).');
    await feed({});
    expect(inbox('uma')).toEqual([]);
    expect(await say('uma', 'alerts')).toBe('#1 warning lab/oven: Oven at 70 °C — 0ms old, ×1, unacknowledged');
    // Escalation is due at 10m but waits for the silence.
    await settle(30 * 60_000);
    expect(inbox('ada').filter((t) => t.startsWith('⏫'))).toEqual([]);
    await settle(30 * 60_000);
    expect(inbox('uma').filter((t) => !t.startsWith('#'))).toEqual(['⚠️ #1 oven: Oven at 70 °C']);
    // Its first escalation step counts from that page, not from the opening: not bunched with it.
    expect(inbox('ada').filter((t) => t.startsWith('⏫'))).toEqual([]);
    await settle(10 * 60_000);
    expect(inbox('ada').filter((t) => t.startsWith('⏫'))).toHaveLength(1);
  });

  it('refuses matchers and durations it cannot read, creating nothing', async () => {
    const { say } = await setup();
    expect(await say('ada', 'silence device 1h')).toBe('"device" is not a matcher; use field=value, e.g. silence device=thermo-1 2h maintenance');
    expect(await say('ada', 'silence device=~( 1h')).toMatch(/^"device=~\(": Invalid regular expression/);
    expect(await say('ada', 'silence device=oven,=x 1h')).toBe('"=x" is not a matcher; use field=value, field!=value, field=~regex or field!~regex');
    expect(await say('ada', 'silence device=oven soon')).toBe('"soon" is not a duration; use e.g. 30s, 5m, 1h30m');
    expect(await say('ada', 'silence device=oven')).toBe('Usage: silence <field=value,...> <duration> [reason]');
    expect(await say('ada', 'silences')).toBe('No silences in force.');
    expect(await say('uma', 'silence device=oven 1h')).toBe('"silence" needs admin or above; you are user.');
  });

  it('unsilence pages at once; silences about devices an admin may not see stay hidden from them', async () => {
    const { feed, inbox, say } = await setup();
    await feed({ source: 'vault', key: 'door', topic: 'door', state: 'forced', severity: 'critical', text: 'Vault door forced' });
    expect(await say('root1', 'ack')).toBe('You acknowledged #1.');
    expect(await say('root1', 'silence source=vault 2h drill')).toBe('Silence 1: source=vault for 2h (drill).');
    expect(await say('ada', 'silences')).toBe('No silences in force.');
    expect(await say('root1', 'silences')).toBe('1: source=vault — 2h left, by root1: drill');
    expect(await say('ada', 'silence device=oven 1h')).toBe('Silence 2: device=oven for 1h.');
    await feed({});
    expect(inbox('uma')).toEqual([]);
    expect(await say('ada', 'unsilence 2')).toBe('Silence 2 ended.');
    await settle();
    expect(inbox('uma')).toEqual(['⚠️ #2 oven: Oven at 70 °C']);
    expect(await say('ada', 'unsilence 2')).toBe('There is no silence 2 in force.');
  });
});

describe('quiet hours', () => {
  // 16:00 UTC is midnight in Shanghai (UTC+8): inside 23:00–07:00 there.
  const midnightShanghai = new Date('2026-11-23T16:00:00Z');

  it('holds pages during a user’s quiet hours, lets critical through, and sends one digest at the end', async () => {
    const { feed, inbox, say } = await setup();
    expect(await say('uma', 'quiet 23:00-07:00 Asia/Shanghai')).toBe(
      'Quiet hours 23:00–07:00 (Asia/Shanghai); critical pages come through unless you send "quiet critical off".',
    );
    vi.setSystemTime(midnightShanghai);
    await feed({ text: 'Oven at 70 °C' });
    await feed({ key: 'fridge', text: 'Fridge at 9 °C' });
    await feed({ key: 'kiln', state: 'overheat', severity: 'critical', text: 'Kiln at 1300 °C' });
    const pages = () => inbox('uma').filter((t) => !t.startsWith('Quiet hours'));
    expect(pages()).toEqual(['🔥 #3 kiln: Kiln at 1300 °C']);
    // 07:00 in Shanghai is seven hours later.
    await settle(7 * 60 * 60_000);
    expect(pages().at(-1)).toBe('While you were in quiet hours (2):\n• ⚠️ #1 oven: Oven at 70 °C\n• ⚠️ #2 fridge: Fridge at 9 °C');
  });

  it('holds critical pages too for users who opt out, and refuses bad settings by name', async () => {
    const { feed, inbox, say } = await setup();
    expect(await say('uma', 'quiet critical off')).toBe('Set quiet hours first, e.g. "quiet 23:00-07:00".');
    expect(await say('uma', 'quiet 25:00-07:00')).toBe('"25:00" is not a time of day; use HH:MM, e.g. 23:00');
    expect(await say('uma', 'quiet 23:00-07:00 Mars/Olympus')).toBe('"Mars/Olympus" is not a time zone; use an IANA name such as Asia/Shanghai or Europe/Berlin');
    await say('uma', 'quiet 23:00-07:00 Asia/Shanghai');
    expect(await say('uma', 'quiet critical off')).toBe('Critical pages are held during your quiet hours too.');
    vi.setSystemTime(midnightShanghai);
    await feed({ key: 'kiln', state: 'overheat', severity: 'critical', text: 'Kiln at 1300 °C' });
    expect(inbox('uma').filter((t) => t.includes('Kiln'))).toEqual([]);
    await say('uma', 'quiet off');
    await settle();
    expect(inbox('uma').slice(-2)).toEqual([
      'Quiet hours are off; anything held arrives as a digest now.',
      'While you were in quiet hours (1):\n• 🔥 #1 kiln: Kiln at 1300 °C',
    ]);
  });
});
