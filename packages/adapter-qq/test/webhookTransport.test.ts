import { sign } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Bridge, MemoryStore } from '@switchboard/core';
import { FakeQqHttp, QqAdapter, QqConfigSchema, webhookKeys } from '@switchboard/adapter-qq';

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

    http.issueMsgId('G1');
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
    expect(http.sent[0]).toMatchObject({ path: '/v2/groups/GRP/messages', body: { msg_id: 'G1', msg_seq: 1 } });
    expect(String(http.sent[0]!.body.content)).toMatch(/^carol \(user\)/);
  });
});
