// The web console acts with its user's tier exactly as in chat, and every change lands in the audit trail.
import { describe, expect, it } from 'vitest';
import { waitUntil } from '@switchboard/core/testing';
import { opsBridge, sameOrigin, signIn, useOps, type OpsFixture } from '../fixtures.js';

useOps();

// The API's answers, loosely: each test reads the fields it checks.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function as(fx: OpsFixture, user: string) {
  const { cookie, csrf } = await signIn(fx.base, await fx.link(user));
  const get = async (path: string) => {
    const res = await fetch(`${fx.base}${path}`, { headers: { cookie } });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const post = async (path: string, body: unknown = {}) => {
    const res = await fetch(`${fx.base}${path}`, { method: 'POST', headers: sameOrigin(fx.base, { cookie, 'x-csrf-token': csrf }), body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Json };
  };
  return { get, post };
}

async function withAlert(fx: OpsFixture): Promise<void> {
  fx.fire('oven', 'error', 'too hot');
  await waitUntil(() => fx.relay.context!.alerts.open().length === 1 && fx.inbox('carol').some((t) => t.includes('#1')), 'the page to carol');
}

describe('the web console acts with the chat tiers', () => {
  it('a user may ack but not resolve; the refusal changes nothing and is audited', async () => {
    const fx = await opsBridge();
    await withAlert(fx);
    const carol = await as(fx, 'carol');
    const refused = await carol.post('/api/alerts/1/resolve');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/tier \(user\)/);
    expect(fx.relay.context!.alerts.get(1)?.status).toBe('firing');
    expect((await carol.post('/api/alerts/1/ack')).status).toBe(200);
    expect(fx.relay.context!.alerts.get(1)).toMatchObject({ status: 'acknowledged', ackedBy: 'carol' });
    const entries = await fx.bridge.audit.latest({ limit: 50 });
    expect(entries.filter((e) => e.via === 'web').map((e) => [e.actor, e.command, e.args, e.outcome])).toEqual([
      ['carol', 'resolve', ['#1'], 'refused'],
      ['carol', 'ack', ['#1'], 'ok'],
    ]);
  });

  it('a user sees no users, deliveries or audit, and changes no tier', async () => {
    const fx = await opsBridge();
    const carol = await as(fx, 'carol');
    const session = await carol.get('/api/session');
    expect(session.body.can).toMatchObject({ alerts: true, ack: true, resolve: false, users: false, promote: false, audit: false, silence: false });
    for (const path of ['/api/users', '/api/audit', '/api/deliveries', '/api/silences']) expect((await carol.get(path)).status, path).toBe(403);
    expect((await carol.post('/api/users/carol/tier', { tier: 'root' })).status).toBe(403);
    expect((await carol.post('/api/silences', { matchers: 'device=oven', duration: '1h' })).status).toBe(403);
    expect(fx.bridge.directory.get('carol')?.tier).toBe('user');
  });

  it('an admin changes tiers within the directory rules: not above their own, not at or above them', async () => {
    const fx = await opsBridge({ users: { dave: 'user' } });
    const bob = await as(fx, 'bob');
    const toRoot = await bob.post('/api/users/carol/tier', { tier: 'root' });
    expect(toRoot.status).toBe(403);
    expect(toRoot.body.error).toMatch(/root/);
    expect((await bob.post('/api/users/alice/tier', { tier: 'user' })).status).toBe(403);
    expect((await bob.post('/api/users/bob/tier', { tier: 'root' })).status).toBe(403);
    expect(fx.bridge.directory.get('carol')?.tier).toBe('user');
    expect(fx.bridge.directory.get('alice')?.tier).toBe('root');
    expect((await bob.post('/api/users/carol/tier', { tier: 'admin' })).status).toBe(200);
    expect(fx.bridge.directory.get('carol')?.tier).toBe('admin');
    expect((await bob.post('/api/users/nobody/tier', { tier: 'user' })).status).toBe(404);
    expect((await bob.post('/api/users/dave/tier', { tier: 'god' })).status).toBe(400);
    const audited = (await fx.bridge.audit.latest({ limit: 50 })).filter((e) => e.via === 'web').map((e) => [e.command, e.args.join(' '), e.outcome]);
    expect(audited).toEqual([
      ['promote', 'carol root', 'refused'],
      ['demote', 'alice user', 'refused'],
      ['promote', 'bob root', 'refused'],
      ['promote', 'carol admin', 'ok'],
    ]);
  });

  it('reads the tier on every request: a promotion or demotion in chat applies to an open session at once', async () => {
    const fx = await opsBridge();
    await withAlert(fx);
    const carol = await as(fx, 'carol');
    expect((await carol.post('/api/alerts/1/resolve')).status).toBe(403);
    expect(await fx.say('alice', 'promote carol')).toMatch(/carol is now admin/);
    expect((await carol.get('/api/session')).body.tier).toBe('admin');
    expect((await carol.get('/api/users')).status).toBe(200);
    expect(await fx.say('alice', 'demote carol')).toMatch(/carol is now user/);
    expect((await carol.post('/api/alerts/1/resolve')).status).toBe(403);
    expect((await carol.get('/api/users')).status).toBe(403);
    expect(fx.relay.context!.alerts.get(1)?.status).toBe('firing');
  });

  it('follows the config\'s command overrides, as chat does', async () => {
    const fx = await opsBridge({ commands: { resolve: { minTier: 'user' }, ack: { disabled: true } } });
    await withAlert(fx);
    const carol = await as(fx, 'carol');
    expect((await carol.post('/api/alerts/1/ack')).status).toBe(403);
    expect((await carol.post('/api/alerts/1/resolve')).status).toBe(200);
    expect(fx.relay.context!.alerts.get(1)?.status).toBe('resolved');
  });

  it('an ack from the page reaches the chat: the one who acted, and the others who were paged', async () => {
    const fx = await opsBridge();
    await withAlert(fx);
    const alice = await as(fx, 'alice');
    const before = fx.inbox('carol').length;
    expect((await alice.post('/api/alerts/1/ack')).status).toBe(200);
    await waitUntil(() => fx.inbox('alice').some((t) => /acknowledged #1/.test(t)) && fx.inbox('carol').length > before, 'the ack in chat');
    expect(fx.inbox('alice').at(-1)).toBe('You acknowledged #1. (from the web console)');
    expect(fx.inbox('carol').at(-1)).toMatch(/#1 acknowledged by alice/);
    // A second ack is refused with the alerting's own reason.
    const again = await alice.post('/api/alerts/1/ack');
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/already acknowledged by alice/);
  });

  it('silences are created and ended from the page, with the same bounds as the chat command', async () => {
    const fx = await opsBridge();
    const bob = await as(fx, 'bob');
    expect((await bob.post('/api/silences', { matchers: 'device=oven', duration: '40d' })).status).toBe(400);
    expect((await bob.post('/api/silences', { matchers: 'nonsense', duration: '1h' })).status).toBe(400);
    const made = await bob.post('/api/silences', { matchers: 'device=oven', duration: '2h', reason: 'maintenance' });
    expect(made.status).toBe(200);
    expect(fx.relay.context!.silences.active()).toHaveLength(1);
    fx.fire('oven', 'error', 'too hot');
    await waitUntil(() => fx.relay.context!.alerts.open().length === 1, 'the alert');
    expect(fx.inbox('carol').some((t) => t.includes('#1'))).toBe(false);
    const listed = await bob.get('/api/silences');
    expect(listed.body.silences).toMatchObject([{ id: 1, matchers: 'device=oven', createdBy: 'bob', reason: 'maintenance' }]);
    expect((await bob.post('/api/silences/1/end')).status).toBe(200);
    expect(fx.relay.context!.silences.active()).toHaveLength(0);
    expect((await bob.post('/api/silences/1/end')).status).toBe(404);
  });

  it('shows feeds, devices, users, deliveries and the audit log to those who may see them', async () => {
    const fx = await opsBridge();
    await withAlert(fx);
    await fx.say('alice', 'promote carol');
    const alice = await as(fx, 'alice');
    const feeds = await alice.get('/api/feeds');
    expect(feeds.body.feeds).toMatchObject([{ name: 'lab', kind: 'manual', state: 'connected' }]);
    expect(feeds.body.devices).toMatchObject([{ source: 'lab', key: 'oven', state: 'bad', text: 'too hot' }]);
    const users = await alice.get('/api/users');
    expect(users.body.users.map((u: { name: string; tier: string }) => `${u.name}:${u.tier}`)).toEqual(['alice:root', 'bob:admin', 'carol:admin']);
    const deliveries = await alice.get('/api/deliveries');
    expect(deliveries.body.deliveries.length).toBeGreaterThan(0);
    expect(deliveries.body.deliveries[0]).toMatchObject({ status: 'delivered' });
    const audit = await alice.get('/api/audit');
    expect(audit.body.entries.some((e: { command: string; args: string[] }) => e.command === 'promote' && e.args[0] === 'carol')).toBe(true);
  });

  it('bad bodies get a clear error', async () => {
    const fx = await opsBridge();
    const { cookie, csrf } = await signIn(fx.base, await fx.link('alice'));
    const send = (body: string) => fetch(`${fx.base}/api/silences`, { method: 'POST', headers: sameOrigin(fx.base, { cookie, 'x-csrf-token': csrf }), body });
    expect(await (await send('{not json')).json()).toEqual({ error: 'The body is not valid JSON.' });
    expect(await (await send('[1,2]')).json()).toEqual({ error: 'The body must be a JSON object.' });
    expect((await send('x'.repeat(20_000))).status).toBe(400);
  });
});
