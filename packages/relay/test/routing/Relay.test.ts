import { afterEach, describe, expect, it } from 'vitest';
import { Bridge, MemoryStore, type Store } from '@switchboard/core';
import { MemoryAdapter } from '@switchboard/core/testing';
import { Relay, RelaySections, RouteSchema, type Update } from '@switchboard/relay';
import { until } from '../fixtures/servers.js';

const routes = [
  { name: 'critical to admins', match: { severity: 'critical' }, notify: { tier: 'admin' }, continue: true },
  { name: 'printers to followers', match: { device: 'printer-*' }, subscribers: 'user' },
  { name: 'lab to nina', match: { source: 'lab' }, notify: { users: ['nina'] } },
  { name: 'vault to root', match: { source: 'vault' }, notify: { tier: 'root' } },
].map((r) => RouteSchema.parse(r));

const running: Bridge[] = [];
afterEach(async () => {
  for (const b of running.splice(0)) await b.stop();
});

async function setup(store: Store = new MemoryStore(), rules = routes) {
  const adapter = new MemoryAdapter();
  const relay = new Relay({ feeds: [], routes: rules, relay: RelaySections.relay.parse({ template: '{{device}} {{state}}' }) });
  const id = (name: string) => [{ platform: 'memory', id: name }];
  const bridge = new Bridge({
    store,
    adapters: [adapter],
    plugins: [relay],
    users: [
      { name: 'root1', tier: 'root', identities: id('root1') },
      { name: 'ada', tier: 'admin', identities: id('ada') },
      { name: 'uma', tier: 'user', identities: id('uma'), subscriptions: ['printer-1'] },
      { name: 'ulf', tier: 'user', identities: id('ulf'), subscriptions: ['vault-door', 'printer-2'] },
      { name: 'nina', tier: 'user', identities: id('nina') },
    ],
  });
  await bridge.start();
  running.push(bridge);
  const update = (u: Partial<Update> & Pick<Update, 'key'>): Update => ({
    source: 'lab',
    topic: 'status',
    severity: 'info',
    state: 'on',
    text: '',
    at: Date.now(),
    resolved: false,
    ...u,
  });
  const deliveredTo = async (u: Update): Promise<string[]> => {
    const before = adapter.delivered.length;
    const routed = await relay.handle(u);
    await until(() => adapter.delivered.length === before + routed.recipients.length, 'the notifications');
    return adapter.delivered.slice(before).map((r) => r.to.id).sort();
  };
  const say = async (from: string, text: string): Promise<string> => {
    const before = adapter.textsTo(from).length;
    adapter.inject({ from, text });
    await until(() => adapter.textsTo(from).length > before, `a reply to ${text}`);
    return adapter.textsTo(from).at(-1)!;
  };
  return { bridge, adapter, relay, update, deliveredTo, say };
}

describe('routing', () => {
  it('gives each user exactly what the rules grant', async () => {
    const { update, deliveredTo } = await setup();
    // First match wins: printer updates stop at the printers rule and never reach "lab to nina".
    expect(await deliveredTo(update({ key: 'printer-1', state: 'jammed', severity: 'error' }))).toEqual(['uma']);
    // "critical to admins" continues, so critical printer news also reaches admins and root.
    expect(await deliveredTo(update({ key: 'printer-2', state: 'jammed', severity: 'critical' }))).toEqual(['ada', 'root1', 'ulf']);
    expect(await deliveredTo(update({ key: 'thermo', state: 'hot', severity: 'warning' }))).toEqual(['nina']);
    expect(await deliveredTo(update({ source: 'vault', key: 'vault-door', state: 'open', severity: 'warning' }))).toEqual(['root1']);
    expect(await deliveredTo(update({ source: 'other', key: 'x', state: 'on' }))).toEqual([]);
  });

  it('tells each user once, however many ways the rules and subscriptions reach them', async () => {
    const { update, deliveredTo, say } = await setup();
    expect(await say('uma', 'subscribe lab/printer-1')).toBe('You now follow lab/printer-1.');
    expect(await say('ada', 'subscribe printer-1')).toBe('You now follow printer-1.');
    // uma follows printer-1 by key and by source/key; ada by key and as an admin of a critical change.
    expect(await deliveredTo(update({ key: 'printer-1', state: 'on fire', severity: 'critical' }))).toEqual(['ada', 'root1', 'uma']);
    expect(await deliveredTo(update({ key: 'printer-1', state: 'jammed', severity: 'error' }))).toEqual(['ada', 'uma']);
  });

  it('tells a user named by a rule and also in its tier once, and again after the directory changes', async () => {
    const everyone = [{ name: 'all', match: {}, notify: { tier: 'admin', users: ['ada', 'root1', 'nina'] }, subscribers: 'user' }].map((r) => RouteSchema.parse(r));
    const { update, deliveredTo, say } = await setup(new MemoryStore(), everyone);
    expect(await deliveredTo(update({ key: 'printer-1', state: 'jammed' }))).toEqual(['ada', 'nina', 'root1', 'uma']);
    // A directory change rebuilds the routing index (and the addresses kept in it).
    expect(await say('root1', 'promote uma admin')).toMatch(/uma/);
    expect(await deliveredTo(update({ key: 'printer-1', state: 'on' }))).toEqual(['ada', 'nina', 'root1', 'uma']);
  });

  it('never lets a subscription widen access, in delivery or in chat', async () => {
    const { update, deliveredTo, say } = await setup();
    // ulf follows vault-door, but only root may see the vault.
    expect(await deliveredTo(update({ source: 'vault', key: 'vault-door', state: 'forced', severity: 'error' }))).toEqual(['root1']);
    expect(await say('uma', 'subscribe vault-door')).toBe('No rule lets you follow "vault-door"; ask an admin.');
    expect(await say('uma', 'subscribe printer-9')).toBe('You now follow printer-9.');
    expect(await say('uma', 'status vault-door')).toBe('No device "vault-door" that you may see.');
    expect(await say('root1', 'status vault-door')).toMatch(/vault\/vault-door: forced/);
  });

  it('sends nothing to a muted user until the mute expires', async () => {
    const { update, deliveredTo, bridge, say } = await setup();
    expect(await say('uma', 'mute 200ms')).toBe('Muted for 200ms. Send "mute off" to end it sooner.');
    expect(await deliveredTo(update({ key: 'printer-1', state: 'jammed' }))).toEqual([]);
    await new Promise((r) => setTimeout(r, 250));
    expect(await deliveredTo(update({ key: 'printer-1', state: 'idle' }))).toEqual(['uma']);
    await bridge.directory.setMutedUntil(bridge.directory.get('uma')!, 'uma', Date.now() + 60_000);
    expect(await say('uma', 'mute off')).toBe('Notifications are on again.');
    expect(await deliveredTo(update({ key: 'printer-1', state: 'printing' }))).toEqual(['uma']);
  });
});

describe('Relay', () => {
  it('treats an unchanged repeat as no news and a change as news', async () => {
    const { relay, update } = await setup();
    // First sighting: news only when not in a normal state.
    expect((await relay.handle(update({ key: 'printer-9', state: 'ok', resolved: true }))).news).toBe(false);
    expect((await relay.handle(update({ key: 'printer-1', state: 'idle' }))).news).toBe(true);
    expect((await relay.handle(update({ key: 'printer-1', state: 'idle', text: 'still idle' }))).news).toBe(false);
    expect((await relay.handle(update({ key: 'printer-1', state: 'printing' }))).news).toBe(true);
    expect((await relay.handle(update({ key: 'printer-1', state: 'printing', event: true }))).news).toBe(true);
  });

  it('tells everyone who heard of a problem that it is over', async () => {
    const { update, deliveredTo, adapter } = await setup();
    expect(await deliveredTo(update({ key: 'printer-2', state: 'fire', severity: 'critical' }))).toEqual(['ada', 'root1', 'ulf']);
    // The recovery is info-level, but goes to the same people as the critical problem did.
    expect(await deliveredTo(update({ key: 'printer-2', state: 'ok', severity: 'info', resolved: true, text: 'all good' }))).toEqual(['ada', 'root1', 'ulf']);
    expect(adapter.textsTo('ada').at(-1)).toBe('✅ printer-2: all good');
  });

  it('remembers states across a restart, so a feed’s snapshot does not notify again', async () => {
    const store = new MemoryStore();
    const first = await setup(store);
    expect((await first.relay.handle(first.update({ key: 'printer-1', state: 'jammed' }))).news).toBe(true);
    await first.bridge.stop();
    running.length = 0;
    const second = await setup(store);
    expect((await second.relay.handle(second.update({ key: 'printer-1', state: 'jammed' }))).news).toBe(false);
    expect(await second.say('uma', 'status')).toMatch(/lab\/printer-1: jammed/);
  });

  it('shows feed health to admins only', async () => {
    const { say } = await setup();
    expect(await say('uma', 'sources')).toBe('"sources" needs admin or above; you are user.');
    expect(await say('ada', 'sources')).toBe('No feeds configured.');
  });
});
