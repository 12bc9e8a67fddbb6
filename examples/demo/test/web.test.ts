// The demo's operations server, through the real `switchboard start`: the banner names it, `web` in the console
// gives a link that signs in, and /readyz and /metrics answer for the demo feed.
import { describe, expect, it } from 'vitest';
import { demoBridge, demoConfig, demoFeed, useDemo } from './fixtures.js';

useDemo();

describe('the demo operations server', () => {
  it('serves health, metrics and the web console; the web command signs alice in', async () => {
    const config = await demoConfig();
    const { port } = await demoFeed(['--scripted']);
    const { say, waitFor, exited } = demoBridge(config, { DEMO_FEED_PORT: port });
    const [, base] = await waitFor(/metrics: (http:\S+)/, 'the operations server in the banner');

    // Ready once the console and the demo feed are up.
    let ready = await fetch(`${base}/readyz`);
    for (let i = 0; i < 50 && ready.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ready = await fetch(`${base}/readyz`);
    }
    expect(await ready.json()).toEqual({ status: 'ready' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^switchboard_feed_up\{feed="demo"\} 1$/m);
    expect(metrics).toMatch(/^switchboard_adapter_up\{adapter="console"\} 1$/m);

    say('web');
    const [, link, token] = await waitFor(/(http:\/\/127\.0\.0\.1:\d+\/login)#([\w-]+)/, 'the login link');
    expect(link).toBe(`${base}/login`);
    const login = await fetch(`${base}/login`, { method: 'POST', headers: { origin: base!, 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const session = (await (await fetch(`${base}/api/session`, { headers: { cookie } })).json()) as { user: string; tier: string };
    expect(session).toMatchObject({ user: 'alice', tier: 'root' });
    const feeds = (await (await fetch(`${base}/api/feeds`, { headers: { cookie } })).json()) as { feeds: { name: string; state: string }[] };
    expect(feeds.feeds).toMatchObject([{ name: 'demo', state: 'connected' }]);

    say('quit');
    expect(await exited).toBe(0);
  });
});
