import { describe, expect, it } from 'vitest';
import { waitUntil } from '@switchboard/core/testing';
import { opsBridge, useOps } from './fixtures.js';

useOps();

describe('/healthz and /readyz', () => {
  it('answers ready only while the store, every adapter and every feed are up, naming what is not', async () => {
    const { base, adapter, source } = await opsBridge();
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });

    source().go('reconnecting', 'closed 1006');
    adapter.announce('reconnecting', 'socket closed');
    const down = await fetch(`${base}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({
      status: 'not ready',
      notReady: [
        { part: 'adapter', name: 'memory', state: 'reconnecting', detail: 'socket closed' },
        { part: 'feed', name: 'lab', state: 'reconnecting', detail: 'closed 1006' },
      ],
    });
    // Liveness does not depend on what the bridge is connected to.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    source().go('connected');
    adapter.announce('ready');
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('is not ready once the bridge begins to stop', async () => {
    const { base, bridge, adapter } = await opsBridge();
    // A command still running holds the stop open, as a slow handler would.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    bridge.registry.register({ name: 'slow', kind: 'get', minTier: 'user', description: 'waits', run: async () => { started = true; await gate; } });
    adapter.inject({ from: 'carol', text: 'slow' });
    await waitUntil(() => started, 'the slow command to start');
    const stopped = bridge.stop();
    const answer = await fetch(`${base}/readyz`);
    expect(answer.status).toBe(503);
    expect(await answer.json()).toEqual({ status: 'not ready', notReady: [{ part: 'bridge', name: 'bridge', state: 'stopping' }] });
    release();
    await stopped;
  });

  it('refuses other methods and unknown paths with a JSON error', async () => {
    const { base } = await opsBridge();
    const post = await fetch(`${base}/healthz`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const missing = await fetch(`${base}/nothing-here`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not found' });
  });
});
