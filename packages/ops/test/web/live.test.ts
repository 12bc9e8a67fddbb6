// Live updates: a signed-in page hears which part changed, never the data itself.
import { describe, expect, it } from 'vitest';
import { opsBridge, signIn, useOps } from '../fixtures.js';

useOps();

describe('server-sent events', () => {
  it('tell a signed-in client that alerts changed when the feed fires, with no alert data in the stream', async () => {
    const fx = await opsBridge();
    const { cookie } = await signIn(fx.base, await fx.link('carol'));
    const controller = new AbortController();
    const res = await fetch(`${fx.base}/api/events`, { headers: { cookie }, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const read = async (until: RegExp) => {
      while (!until.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await read(/retry: \d+/);
    fx.fire('oven', 'critical', 'secret-looking text 4711');
    await read(/event: alerts\n/);
    expect(text).toMatch(/event: alerts\ndata: \{\}\n\n/);
    expect(text).not.toContain('4711');
    controller.abort();
  });
});
