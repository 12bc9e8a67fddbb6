// The web console's trust boundary: one-time links, the session cookie, CSRF. Each test is an attack that must fail.
import { describe, expect, it } from 'vitest';
import { waitUntil } from '@switchboard/core/testing';
import { opsBridge, recordingLogger, sameOrigin, signIn, useOps } from '../fixtures.js';

useOps();

const post = (base: string, path: string, body: unknown, headers: Record<string, string>) =>
  fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });

describe('login links', () => {
  it('a link from the web command signs in once, with an HttpOnly SameSite=Strict cookie', async () => {
    const { base, link } = await opsBridge();
    const url = await link('bob');
    expect(url.startsWith(`${base}/login#`)).toBe(true);
    const { setCookie, cookie } = await signIn(base, url);
    expect(setCookie).toMatch(/^sb_session=[\w-]{40,};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).not.toContain('Secure'); // plain http on loopback; https publicUrl adds it
    const me = (await (await fetch(`${base}/api/session`, { headers: { cookie } })).json()) as { user: string; tier: string };
    expect(me).toMatchObject({ user: 'bob', tier: 'admin' });
    // The same link again: refused, and no cookie.
    const again = await post(base, '/login', { token: url.split('#')[1] }, sameOrigin(base));
    expect(again.status).toBe(401);
    expect(again.headers.get('set-cookie')).toBeNull();
  });

  it('a made-up, truncated or expired token signs nobody in', async () => {
    const { base, link } = await opsBridge({ http: { loginTtl: '10s' } });
    const url = await link('alice');
    const token = url.split('#')[1]!;
    for (const bad of ['', 'x'.repeat(43), token.slice(0, -1), `${token}A`, token.toUpperCase()]) {
      expect((await post(base, '/login', { token: bad }, sameOrigin(base))).status, bad).toBe(401);
    }
    expect((await post(base, '/login', { token: 42 }, sameOrigin(base))).status).toBe(401);
    // The real one still works: failures do not burn it.
    await signIn(base, url);
  });

  it('expires after loginTtl', async () => {
    const { base, server, link } = await opsBridge({ http: { loginTtl: '10s' } });
    const url = await link('alice');
    const realNow = Date.now;
    Object.assign(server.sessions, { now: () => realNow() + 11_000 });
    expect((await post(base, '/login', { token: url.split('#')[1] }, sameOrigin(base))).status).toBe(401);
  });

  it('refuses a login posted from another site, or not as JSON (login CSRF)', async () => {
    const { base, link } = await opsBridge();
    const token = (await link('alice')).split('#')[1];
    expect((await post(base, '/login', { token }, { origin: 'https://evil.example', 'content-type': 'application/json' })).status).toBe(403);
    expect((await post(base, '/login', { token }, { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    const form = await fetch(`${base}/login`, { method: 'POST', headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${token}` });
    expect(form.status).toBe(403);
    // None of those spent it.
    await signIn(base, `${base}/login#${token}`);
  });

  it('asked in a group, sends the link one-to-one and never to the group; sends none to guests', async () => {
    const { say, inbox, adapter, bridge, base } = await opsBridge();
    expect(await say('bob', 'web', { kind: 'group', id: 'ops-room' })).toBe('I sent you a login link in our one-to-one chat (memory).');
    await waitUntil(() => inbox('bob').some((t) => t.includes('/login#')), 'the link in bob\'s own chat');
    expect(inbox('ops-room').join('\n')).not.toMatch(/login#/);
    const link = /(http:\/\/\S+\/login#\S+)/.exec(inbox('bob').find((t) => t.includes('/login#'))!)![1]!;
    expect((await signIn(base, link)).cookie).toMatch(/^sb_session=/);
    adapter.inject({ from: 'mallory', text: 'web' });
    await bridge.dispatcher.idle(1000);
    await bridge.outbox.drain(1000);
    expect(adapter.delivered.filter((d) => d.to.id === 'mallory').map((d) => d.text).join('\n')).not.toMatch(/login#/);
  });

  it('refuses in a group when it cannot reach the caller one-to-one', async () => {
    const { say, inbox } = await opsBridge({ adapter: { addressFor: () => undefined } });
    expect(await say('bob', 'web', { kind: 'group', id: 'ops-room' })).toMatch(/cannot reach you in one yet/);
    expect([...inbox('ops-room'), ...inbox('bob')].join('\n')).not.toMatch(/login#/);
  });

  it('the link is in the user\'s language', async () => {
    const { say, link } = await opsBridge();
    await say('carol', 'lang zh-CN');
    const reply = await say('carol', '网页');
    expect(reply).toMatch(/^网页控制台，登录身份 carol：http:\/\/127\.0\.0\.1:\d+\/login#/);
    expect(await link('bob')).toMatch(/login#/);
  });
});

describe('the session', () => {
  it('no cookie, a forged cookie or a signed-out cookie reaches nothing', async () => {
    const { base, link } = await opsBridge();
    for (const headers of [{}, { cookie: 'sb_session=forged' }, { cookie: `sb_session=${'A'.repeat(43)}` }]) {
      for (const path of ['/api/session', '/api/alerts', '/api/users', '/api/audit', '/api/events']) {
        expect((await fetch(`${base}${path}`, { headers })).status, `${path} ${JSON.stringify(headers)}`).toBe(401);
      }
    }
    const { cookie, csrf } = await signIn(base, await link('alice'));
    expect((await post(base, '/api/logout', {}, sameOrigin(base, { cookie, 'x-csrf-token': csrf }))).status).toBe(200);
    expect((await fetch(`${base}/api/session`, { headers: { cookie } })).status).toBe(401);
  });

  it('a change without the CSRF token, with a wrong one, from another origin, or as a form is refused and changes nothing', async () => {
    const { base, link, fire, relay } = await opsBridge();
    fire('oven', 'error', 'too hot');
    await new Promise((r) => setTimeout(r, 50));
    const { cookie, csrf } = await signIn(base, await link('alice'));
    const attempts: Record<string, string>[] = [
      sameOrigin(base, { cookie }),
      sameOrigin(base, { cookie, 'x-csrf-token': 'not-the-token' }),
      sameOrigin(base, { cookie, 'x-csrf-token': csrf.slice(1) }),
      { cookie, 'x-csrf-token': csrf, origin: 'https://evil.example', 'content-type': 'application/json' },
      { cookie, 'x-csrf-token': csrf, 'sec-fetch-site': 'same-site', 'content-type': 'application/json' },
      { cookie, 'x-csrf-token': csrf, origin: base, 'content-type': 'text/plain' },
      { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }, // no Origin at all
    ];
    for (const headers of attempts) {
      const res = await post(base, '/api/alerts/1/ack', {}, headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
    }
    expect(relay.context!.alerts.get(1)?.status).toBe('firing');
    // With everything right, it works.
    expect((await post(base, '/api/alerts/1/ack', {}, sameOrigin(base, { cookie, 'x-csrf-token': csrf }))).status).toBe(200);
    expect(relay.context!.alerts.get(1)?.status).toBe('acknowledged');
  });

  it('no login token, session id or CSRF token reaches the log, even on failures', async () => {
    const logger = recordingLogger();
    const { base, link } = await opsBridge({ logger });
    const url = await link('alice');
    const token = url.split('#')[1]!;
    const { cookie, csrf } = await signIn(base, url);
    await post(base, '/login', { token }, sameOrigin(base)); // replayed: refused, logged as a warning
    await post(base, '/api/alerts/9/ack', {}, sameOrigin(base, { cookie, 'x-csrf-token': 'wrong' }));
    const sessionId = cookie.split('=')[1]!;
    expect(logger.lines.some((l) => l.includes('web login refused'))).toBe(true);
    for (const secret of [token, sessionId, csrf]) expect(logger.lines.filter((l) => l.includes(secret))).toEqual([]);
  });

  it('a removed user\'s sessions end at once', async () => {
    const { base, link, say } = await opsBridge();
    const { cookie } = await signIn(base, await link('carol'));
    expect((await fetch(`${base}/api/session`, { headers: { cookie } })).status).toBe(200);
    expect(await say('alice', 'deluser carol')).toMatch(/carol/);
    expect((await fetch(`${base}/api/session`, { headers: { cookie } })).status).toBe(401);
  });

  it('every answer forbids framing and foreign scripts', async () => {
    const { base } = await opsBridge();
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
  });
});
