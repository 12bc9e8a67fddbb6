// What on-call people expect: snooze an alert they may see, read its timeline, list the recently closed.
import { describe, expect, it } from 'vitest';
import { RelaySections } from '@switchboard/relay';
import { alertBridge, settle, useFakeClock } from '../fixtures/alerting.js';

const routes = RelaySections.routes.parse([
  {
    name: 'heat',
    match: { topic: 'temperature' },
    notify: { users: ['uma'] },
    subscribers: 'user',
    alert: { severity: 'warning', groupWait: '0s', repeatInterval: '1h', escalate: [{ after: '10m', notify: { tier: 'admin' } }] },
  },
  { name: 'vault', match: { source: 'vault' }, notify: { tier: 'root' }, alert: { severity: 'warning', groupWait: '0s' } },
]);

useFakeClock();

const minutes = (n: number) => n * 60_000;

describe('snooze', () => {
  it('pauses pages, reminders and escalation of an alert for anyone who may see it; what fell due goes out when it ends', async () => {
    const { feed, say, inbox } = await alertBridge(routes);
    await feed({});
    expect(await say('uma', 'snooze #1 30m')).toBe('#1 is snoozed for 30m.');
    await settle(minutes(30) - 1000);
    expect(inbox('ada')).toEqual([]);
    await settle(1000);
    expect(inbox('ada')).toEqual(['⏫ #1 unacknowledged for 30m: oven: Oven at 70 °C. Send "ack 1" to take it.']);
  });

  it('refuses an alert the caller may not see, a bad duration, and a resolved alert', async () => {
    const { feed, say } = await alertBridge(routes);
    await feed({ source: 'vault', key: 'door', topic: 'door', text: 'Vault open' });
    expect(await say('uma', 'snooze #1 30m')).toBe('There is no alert #1 that you may see.');
    expect(await say('root1', 'snooze #1 soon')).toMatch(/soon/);
    expect(await say('root1', 'snooze #1 10s')).toBe('Snooze for between 1m and 7d.');
    expect(await say('root1', 'resolve #1')).toBe('#1 is resolved.');
    expect(await say('root1', 'snooze #1 30m')).toBe('#1 is already resolved.');
  });
});

describe('alert timeline and history', () => {
  it('shows what happened to an alert, and lists the recently closed ones', async () => {
    const { feed, say } = await alertBridge(routes);
    await feed({});
    await settle(minutes(10));
    expect(await say('ada', 'ack #1')).toBe('You acknowledged #1.');
    await settle(minutes(5));
    await feed({ state: 'ok', severity: 'info', resolved: true, text: 'Oven at 40 °C' });
    expect((await say('uma', 'alert #1')).split('\n')).toEqual([
      '#1 warning lab/oven: Oven at 40 °C — resolved, ×1',
      '+0ms opened: Oven at 70 °C',
      '+0ms paged uma',
      '+10m escalated (step 1) to root1, ada',
      '+10m acknowledged by ada',
      '+15m resolved by the feed: Oven at 40 °C',
    ]);
    expect(await say('uma', 'alerts history')).toBe('#1 warning lab/oven: Oven at 40 °C — resolved 0ms ago by the feed, open for 15m, acked by ada');
    expect(await say('uma', 'alert #2')).toBe('There is no alert #2 that you may see.');
    expect(await say('uma', 'alerts yesterday')).toBe('"yesterday" is not something alerts shows; use "alerts" or "alerts history".');
  });
});

describe('oncall', () => {
  it('lists who each rule would page now and after each step, with mutes and quiet hours', async () => {
    const { say } = await alertBridge(routes);
    expect(await say('uma', 'quiet 00:00-23:59 UTC')).toMatch(/^Quiet hours/);
    expect(await say('ada', 'mute 20m')).toMatch(/./);
    expect((await say('root1', 'oncall')).split('\n')).toEqual([
      'heat (topic=temperature): uma (quiet hours: held for the digest), and followers (user+); after 10m, admins: root1, ada (muted 20m more)',
      'vault (source=vault): root1',
    ]);
    expect(await say('uma', 'oncall')).toMatch(/admin/);
  });
});

describe('ack by replying to the page', () => {
  it('takes the alert the quoted page is about, not the latest one', async () => {
    const { feed, inbox, adapter } = await alertBridge(routes);
    await feed({ key: 'oven', text: 'Oven at 70 °C' });
    await feed({ key: 'fridge', text: 'Fridge at 9 °C' });
    await settle(30_000);
    const page = inbox('uma').find((t) => t.includes('oven'))!;
    expect(page).toMatch(/#1 /);
    adapter.inject({ from: 'uma', text: 'ack', quoted: { text: page } });
    await settle();
    expect(inbox('uma').at(-1)).toBe('You acknowledged #1.');
    adapter.inject({ from: 'uma', text: 'ack', quoted: { text: 'something that names no alert' } });
    await settle();
    expect(inbox('uma').at(-1)).toBe('You acknowledged #2.');
  });
});

describe('ack by reply, as an attacker', () => {
  it('a forged quote naming an alert the sender may not see takes nothing', async () => {
    const { feed, inbox, adapter, relay } = await alertBridge(routes);
    await feed({ source: 'vault', key: 'door', topic: 'door', text: 'Vault open' });
    expect(inbox('root1')).toEqual(['⚠️ #1 door: Vault open']);
    // uma cannot see the vault alert; a quote is text the sender controls (WeChat), so it proves nothing.
    adapter.inject({ from: 'uma', text: 'ack', quoted: { text: '⚠️ #1 door: Vault open' } });
    await settle();
    expect(inbox('uma').at(-1)).toBe('There is no alert #1 that you may see.');
    expect(relay.context!.alerts.get(1)).toMatchObject({ status: 'firing' });
  });
});
