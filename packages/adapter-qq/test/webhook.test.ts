import { sign } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeDispatch, WebhookReceiver, webhookKeys, type GatewayPayload } from '@switchboard/adapter-qq';

const secret = 'DG5g3B4j9X2KOErG';
let receiver: WebhookReceiver;
let received: GatewayPayload[];
beforeEach(async () => {
  received = [];
  receiver = new WebhookReceiver({ appId: '11111111', secret, listen: { host: '127.0.0.1', port: 0 }, onDispatch: (p) => void received.push(p) });
  await receiver.start();
});
afterEach(() => receiver.stop());

const url = () => `http://127.0.0.1:${receiver.port}/qq`;
const signed = (body: string, timestamp = String(Math.floor(Date.now() / 1000)), key = webhookKeys(secret).privateKey) => ({
  'content-type': 'application/json',
  'x-bot-appid': '11111111',
  'x-signature-timestamp': timestamp,
  'x-signature-ed25519': sign(null, Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]), key).toString('hex'),
});

describe('webhook receiver', () => {
  it('answers callback validation (op 13) with the platform’s test vector', async () => {
    const res = await fetch(url(), { method: 'POST', body: JSON.stringify({ d: { plain_token: 'Arq0D5A61EgUu4OxUvOp', event_ts: '1725442341' }, op: 13 }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      plain_token: 'Arq0D5A61EgUu4OxUvOp',
      signature:
        '87befc99c42c651b3aac0278e71ada338433ae26fcb24307bdc5ad38c1adc2d01bcfcadc0842edac85e85205028a1132afe09280305f13aa6909ffc2d652c706',
    });
  });

  it('accepts a signed dispatch and acknowledges with op 12', async () => {
    const body = JSON.stringify({ op: 0, id: 'C2C_MESSAGE_CREATE:1', t: 'C2C_MESSAGE_CREATE', d: { id: 'M1', content: 'hi', author: { user_openid: 'U1' } } });
    const res = await fetch(url(), { method: 'POST', headers: signed(body), body });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ op: 12, d: 0 });
    expect(received.map((p) => p.t)).toEqual(['C2C_MESSAGE_CREATE']);
  });

  it('refuses unsigned (401), stale (403), forged (403) and altered (403) dispatches', async () => {
    const body = JSON.stringify({ op: 0, t: 'C2C_MESSAGE_CREATE', d: { id: 'M1', content: 'hi', author: { user_openid: 'U1' } } });
    expect((await fetch(url(), { method: 'POST', body })).status).toBe(401);
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    expect((await fetch(url(), { method: 'POST', headers: signed(body, old), body })).status).toBe(403);
    const forged = signed(body, undefined, webhookKeys('an-attacker-secret').privateKey);
    expect((await fetch(url(), { method: 'POST', headers: forged, body })).status).toBe(403);
    const headers = signed(body);
    expect((await fetch(url(), { method: 'POST', headers, body: body.replace('hi', 'rm -rf') })).status).toBe(403);
    expect(received).toEqual([]);
  });
});

describe('event mapping', () => {
  it('maps the four message kinds to identities and reply addresses, stripping mentions', () => {
    const group = decodeDispatch('GROUP_AT_MESSAGE_CREATE', { id: 'G1', content: ' status', group_openid: 'GRP', author: { member_openid: 'MEM', union_openid: 'UNI' }, timestamp: '2025-09-08T23:13:34+08:00 m=+0.01' }, 'e');
    expect(group).toMatchObject({ kind: 'message', inbound: { from: { platform: 'qq', id: 'MEM' }, alternates: [{ platform: 'qq', id: 'union:UNI' }], chat: { kind: 'group', id: 'GRP' }, text: 'status', replyContext: { msgId: 'G1' } }, window: { msgId: 'G1', at: Date.parse('2025-09-08T23:13:34+08:00') } });
    const guild = decodeDispatch('AT_MESSAGE_CREATE', { id: 'C1', content: '<@!123456> promote bob', channel_id: 'CH', guild_id: 'GU', author: { id: 'A1', username: 'abc' } }, 'e');
    expect(guild).toMatchObject({ inbound: { from: { id: 'A1', name: 'abc' }, chat: { kind: 'channel', id: 'CH' }, text: 'promote bob', mentionsBot: true } });
    const dm = decodeDispatch('DIRECT_MESSAGE_CREATE', { id: 'D1', content: 'whoami', guild_id: 'DMG', author: { id: 'A1' } }, 'e');
    expect(dm).toMatchObject({ inbound: { chat: { kind: 'dm', id: 'DMG' } } });
    expect(decodeDispatch('AT_MESSAGE_CREATE', { id: 'B', content: 'x', channel_id: 'c', author: { id: 'bot', bot: true } }, 'e')).toEqual({ kind: 'ignored' });
  });

  it('turns friend-add, robot-added and message-receive events into reply windows carrying their event id', () => {
    expect(decodeDispatch('FRIEND_ADD', { openid: 'U9', timestamp: 1725442341 }, 'FRIEND_ADD:abc')).toEqual({
      kind: 'window',
      window: { address: { platform: 'qq', kind: 'user', id: 'U9' }, eventId: 'FRIEND_ADD:abc', at: 1725442341000 },
    });
    expect(decodeDispatch('GROUP_ADD_ROBOT', { group_openid: 'G9', op_member_openid: 'M', timestamp: 1725442341 }, 'GROUP_ADD_ROBOT:x')).toMatchObject({
      kind: 'window',
      window: { address: { kind: 'group', id: 'G9' }, eventId: 'GROUP_ADD_ROBOT:x' },
    });
  });
});
