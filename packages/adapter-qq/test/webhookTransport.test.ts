import { sign } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Bridge, MemoryStore } from '@switchboard/core';
import { QqAdapter, QqConfigSchema, webhookKeys } from '@switchboard/adapter-qq';
import { FakeQqHttp } from '@switchboard/adapter-qq/testing';

const secret = 'DG5g3B4j9X2KOErG';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('QQ adapter over the webhook transport', () => {
  it('takes signed group @-messages over HTTP and replies to them through REST', async () => {
    const http = new FakeQqHttp('11111111', secret);
    await http.start();
    cleanups.push(() => http.stop());
    const port = 20000 + Math.floor(Math.random() * 20000);
    const adapter = new QqAdapter({
      config: QqConfigSchema.parse({
        appId: '11111111',
        secret,
        transport: 'webhook',
        webhook: { listen: `127.0.0.1:${port}`, path: '/qq' },
        apiBase: http.base,
        tokenUrl: `${http.base}/app/getAppAccessToken`,
      }),
    });
    const bridge = new Bridge({
      store: new MemoryStore(),
      adapters: [adapter],
      users: [{ name: 'carol', tier: 'user', identities: [{ platform: 'qq', id: 'MEM-C' }] }],
    });
    await bridge.start();
    cleanups.push(() => bridge.stop());

    http.issueMsgId('G1', { kind: 'group', id: 'GRP' });
    const body = JSON.stringify({
      op: 0,
      id: 'GROUP_AT_MESSAGE_CREATE:1',
      t: 'GROUP_AT_MESSAGE_CREATE',
      d: { id: 'G1', content: ' whoami', group_openid: 'GRP', author: { member_openid: 'MEM-C' }, timestamp: new Date().toISOString() },
    });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = sign(null, Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]), webhookKeys(secret).privateKey).toString('hex');
    const res = await fetch(`http://127.0.0.1:${port}/qq`, {
      method: 'POST',
      headers: { 'x-bot-appid': '11111111', 'x-signature-timestamp': timestamp, 'x-signature-ed25519': signature },
      body,
    });
    expect(await res.json()).toEqual({ op: 12, d: 0 });
    const deadline = Date.now() + 5000;
    while (http.sent.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(http.sent[0]).toMatchObject({ path: '/v2/groups/GRP/messages', body: { msg_id: 'G1', msg_seq: expect.any(Number) } });
    expect(String(http.sent[0]!.body.content)).toMatch(/^carol \(user\)/);
  });
});

describe('QQ webhook: replays', () => {
  it('drops a signed request replayed after a restart, and still runs new ones', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { FileStore } = await import('@switchboard/core');
    const dir = await mkdtemp(join(tmpdir(), 'sb-qq-replay-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const http = new FakeQqHttp('11111111', secret);
    await http.start();
    cleanups.push(() => http.stop());
    const port = 20000 + Math.floor(Math.random() * 20000);
    const boot = async () => {
      const adapter = new QqAdapter({
        config: QqConfigSchema.parse({ appId: '11111111', secret, transport: 'webhook', webhook: { listen: `127.0.0.1:${port}` }, apiBase: http.base, tokenUrl: `${http.base}/app/getAppAccessToken` }),
      });
      const bridge = new Bridge({ store: new FileStore({ dir }), adapters: [adapter], users: [{ name: 'alice', tier: 'root', identities: [{ platform: 'qq', id: 'U1' }] }] });
      const runs: string[] = [];
      bridge.dispatcher.outcomes$.subscribe((o) => runs.push(o.messageId));
      await bridge.start();
      return { bridge, runs };
    };
    const request = (id: string, content: string) => {
      http.issueMsgId(id, { kind: 'user', id: 'U1' });
      const body = JSON.stringify({ op: 0, id: `C2C_MESSAGE_CREATE:${id}`, t: 'C2C_MESSAGE_CREATE', d: { id, content, author: { user_openid: 'U1' }, timestamp: new Date().toISOString() } });
      const timestamp = String(Math.floor(Date.now() / 1000));
      const signature = sign(null, Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]), webhookKeys(secret).privateKey).toString('hex');
      return { method: 'POST', headers: { 'x-signature-timestamp': timestamp, 'x-signature-ed25519': signature }, body } as const;
    };
    const captured = request('M1', 'adduser bob user qq:B1');
    const first = await boot();
    expect(await (await fetch(`http://127.0.0.1:${port}/qq`, captured)).json()).toEqual({ op: 12, d: 0 });
    const waitFor = async (ok: () => boolean) => {
      const deadline = Date.now() + 5000;
      while (!ok() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    };
    await waitFor(() => first.runs.length === 1);
    await first.bridge.stop();

    const second = await boot();
    cleanups.push(() => second.bridge.stop());
    // The same bytes, same signature and timestamp, within the skew: acknowledged, never run again.
    expect(await (await fetch(`http://127.0.0.1:${port}/qq`, captured)).json()).toEqual({ op: 12, d: 0 });
    expect((await fetch(`http://127.0.0.1:${port}/qq`, request('M2', 'whoami'))).status).toBe(200);
    await waitFor(() => second.runs.length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(second.runs).toEqual(['M2']);
  });
});
