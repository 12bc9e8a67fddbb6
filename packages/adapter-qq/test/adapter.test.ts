import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Bridge, MemoryStore, type DispatchOutcome } from '@switchboard/core';
import { waitUntil as until } from '@switchboard/core/testing';
import { QqAdapter, QqConfigSchema } from '@switchboard/adapter-qq';
import { FakeGateway, FakeQqHttp } from '@switchboard/adapter-qq/testing';

const secret = 'DG5g3B4j9X2KOErG';
let http: FakeQqHttp;
let gateway: FakeGateway;
let bridge: Bridge;
let adapter: QqAdapter;
let outcomes: DispatchOutcome[];


beforeEach(async () => {
  http = new FakeQqHttp('11111111', secret);
  await http.start();
  gateway = new FakeGateway();
  await gateway.start();
  http.gatewayUrl = gateway.url;
  adapter = new QqAdapter({
    config: QqConfigSchema.parse({ appId: '11111111', secret, apiBase: http.base, tokenUrl: `${http.base}/app/getAppAccessToken` }),
    backoff: { baseMs: 10, maxMs: 40 },
  });
  bridge = new Bridge({
    store: new MemoryStore(),
    adapters: [adapter],
    users: [
      { name: 'alice', tier: 'root', identities: [{ platform: 'qq', id: 'U1' }] },
      { name: 'carol', tier: 'user', identities: [{ platform: 'qq', id: 'MEM-C' }] },
    ],
    outbox: { retryBaseMs: 10, retryMaxMs: 40 },
  });
  outcomes = [];
  bridge.dispatcher.outcomes$.subscribe((o) => outcomes.push(o));
  await bridge.start();
  await until(() => gateway.connections.length === 1 && gateway.current!.received.some((p) => p.op === 2), 'identify');
});
afterEach(async () => {
  await bridge.stop();
  await gateway.stop();
  await http.stop();
});

const c2c = (id: string, content: string, openid = 'U1') => {
  http.issueMsgId(id, { kind: 'user', id: openid });
  return gateway.dispatch('C2C_MESSAGE_CREATE', { id, content, timestamp: new Date().toISOString(), author: { user_openid: openid } });
};

describe('QQ adapter end to end', () => {
  it('runs a command from a C2C message and replies passively to it', async () => {
    c2c('M1', 'whoami');
    await until(() => http.sent.length === 1, 'the reply');
    expect(http.sent[0]).toMatchObject({ path: '/v2/users/U1/messages', body: { msg_type: 0, msg_id: 'M1', msg_seq: expect.any(Number) } });
    expect(String(http.sent[0]!.body.content)).toMatch(/^alice \(root\)/);
  });

  it('never runs a command twice for a resume replay or a repeated event', async () => {
    c2c('M1', 'whoami');
    await until(() => http.sent.length === 1, 'the first reply');
    // The platform pushes the same message again…
    gateway.dispatch('C2C_MESSAGE_CREATE', { id: 'M1', content: 'whoami', author: { user_openid: 'U1' } });
    // …and after a 4009 the resume replays everything after the last seq the client saw.
    const seen = adapter['shards'][0]!.session.seq!;
    gateway.close(4009);
    gateway.history.push({ s: seen + 1, t: 'C2C_MESSAGE_CREATE', d: { id: 'M1', content: 'whoami', author: { user_openid: 'U1' } }, id: 'r1' });
    http.issueMsgId('M2', { kind: 'user', id: 'U1' });
    gateway.history.push({ s: seen + 2, t: 'C2C_MESSAGE_CREATE', d: { id: 'M2', content: 'help', author: { user_openid: 'U1' } }, id: 'r2' });
    await until(() => http.sent.length === 2, 'the reply to the message missed while away');
    await new Promise((r) => setTimeout(r, 100));
    expect(outcomes.filter((o) => o.messageId === 'M1')).toHaveLength(1);
    expect(outcomes.filter((o) => o.messageId === 'M2')).toHaveLength(1);
    expect(http.sent.map((s) => s.body.msg_id)).toEqual(['M1', 'M2']);
  });

  it('holds an alert with no reply window, and delivers it when the user writes', async () => {
    const reports: string[] = [];
    bridge.outbox.deliveries$.subscribe((r) => reports.push(r.status));
    await bridge.outbox.enqueue({ to: { platform: 'qq', kind: 'user', id: 'U1' }, text: '🔥 thermo-1 overheat' });
    await until(() => reports.includes('deferred'), 'the deferral');
    expect(http.sent).toEqual([]);
    c2c('M5', 'whoami');
    const all = () => http.sent.map((x) => String(x.body.content)).join('\n\n');
    await until(() => all().includes('🔥 thermo-1 overheat') && /alice \(root\)/.test(all()), 'the alert and the reply');
    // Both went out as passive replies to M5 (combined into one when they waited together), alert first.
    expect(http.sent.every((x) => x.body.msg_id === 'M5')).toBe(true);
    expect(new Set(http.sent.map((x) => x.body.msg_seq)).size).toBe(http.sent.length);
    expect(all().indexOf('🔥')).toBeLessThan(all().indexOf('alice (root)'));
  });

  it('retries a 429 and then delivers', async () => {
    http.rateLimitNext = 2;
    c2c('M7', 'whoami');
    await until(() => http.sent.length === 1, 'the reply after the rate limit');
    // The refused attempts and the one that went through carry the same msg_seq (the platform would refuse a
    // repeat of one it had taken), and the refusals did not use up replies.
    expect(http.refusals.map((r) => r.body.msg_seq)).toEqual([http.sent[0]!.body.msg_seq, http.sent[0]!.body.msg_seq]);
    expect(http.sent[0]!.body).toMatchObject({ msg_id: 'M7' });
    expect(adapter.windows.remaining({ platform: 'qq', kind: 'user', id: 'U1' })).toBe(4);
  });
});
