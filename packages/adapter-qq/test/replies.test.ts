import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Bridge, MemoryStore, type Logger } from '@switchboard/core';
import { waitUntil as until } from '@switchboard/core/testing';
import { QqAdapter, QqConfigSchema } from '@switchboard/adapter-qq';
import { FakeGateway, FakeQqHttp, type FakeChat } from '@switchboard/adapter-qq/testing';

const secret = 'DG5g3B4j9X2KOErG';
let http: FakeQqHttp;
let gateway: FakeGateway;
let bridge: Bridge;
let debugLines: { obj: Record<string, unknown>; msg: string }[];

function captureLogger(): Logger {
  const logger: Logger = {
    child: () => logger,
    trace: () => undefined,
    debug: (obj: Record<string, unknown>, msg: string) => void debugLines.push({ obj, msg }),
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    fatal: () => undefined,
  } as unknown as Logger;
  return logger;
}

beforeEach(async () => {
  debugLines = [];
  http = new FakeQqHttp('11111111', secret);
  await http.start();
  gateway = new FakeGateway();
  await gateway.start();
  http.gatewayUrl = gateway.url;
  const adapter = new QqAdapter({
    config: QqConfigSchema.parse({ appId: '11111111', secret, apiBase: http.base, tokenUrl: `${http.base}/app/getAppAccessToken` }),
    backoff: { baseMs: 10, maxMs: 40 },
    logger: captureLogger(),
  });
  const members = Array.from({ length: 6 }, (_, i) => ({ name: `m${i}`, tier: 'user' as const, identities: [{ platform: 'qq', id: `MEM${i}` }] }));
  bridge = new Bridge({
    store: new MemoryStore(),
    adapters: [adapter],
    users: [...members, { name: 'alice', tier: 'root', identities: [{ platform: 'qq', id: 'U1' }] }],
    outbox: { retryBaseMs: 10, retryMaxMs: 40 },
  });
  await bridge.start();
  bridge.registry.register({ name: 'echo', kind: 'get', minTier: 'user', description: 'echo', run: (ctx) => ctx.reply(ctx.argText) });
  bridge.registry.register({
    name: 'chatty',
    kind: 'get',
    minTier: 'user',
    description: 'six replies',
    run: async (ctx) => {
      for (let i = 1; i <= 6; i++) await ctx.reply(`part ${i}`);
    },
  });
  await until(() => gateway.current?.received.some((p) => p.op === 2) === true, 'identify');
});
afterEach(async () => {
  await bridge.stop();
  await gateway.stop();
  await http.stop();
});

/** Whole seconds, as the platform stamps messages. */
const second = (at = Date.now()) => new Date(Math.floor(at / 1000) * 1000).toISOString();
const group = (id: string, member: number, content: string, stamp = second()) => {
  http.issueMsgId(id, { kind: 'group', id: 'G1' });
  gateway.dispatch('GROUP_AT_MESSAGE_CREATE', { id, content: ` ${content}`, timestamp: stamp, group_openid: 'G1', author: { member_openid: `MEM${member}` } });
};
const c2c = (id: string, content: string) => {
  http.issueMsgId(id, { kind: 'user', id: 'U1' });
  gateway.dispatch('C2C_MESSAGE_CREATE', { id, content, timestamp: second(), author: { user_openid: 'U1' } });
};
const sentTo = (chat: FakeChat) => http.sent.filter((s) => s.chat.kind === chat.kind && s.chat.id === chat.id);

describe('QQ replies', () => {
  it('answers each of several messages stamped in the same second with a reply to that very message', async () => {
    const stamp = second();
    for (let i = 0; i < 5; i++) group(`G1-M${i}`, i, `echo ${i}`, stamp);
    await until(() => http.sent.length === 5, 'five replies');
    expect(http.sent.map((s) => [String(s.body.content), s.replyTo, s.seq]).sort()).toEqual([0, 1, 2, 3, 4].map((i) => [String(i), `G1-M${i}`, expect.any(Number)]));
    expect(http.refusals).toEqual([]);
  });

  it('paces each chat at the platform’s 5 a second, and a quiet chat never waits behind a busy one', async () => {
    for (let i = 0; i < 15; i++) group(`F${i}`, i % 6, `echo f${i}`);
    await until(() => sentTo({ kind: 'group', id: 'G1' }).length >= 5, 'the first burst');
    const asked = performance.now();
    c2c('C1', 'echo quiet');
    await until(() => sentTo({ kind: 'user', id: 'U1' }).length === 1, 'the quiet chat’s reply');
    expect(sentTo({ kind: 'user', id: 'U1' })[0]!.at - asked).toBeLessThan(300);
    await until(() => sentTo({ kind: 'group', id: 'G1' }).length === 15, 'all fifteen', 6000);
    // The fake refuses a sixth send within a second with 429: none was refused.
    expect(http.refusals).toEqual([]);
    const each = sentTo({ kind: 'group', id: 'G1' });
    expect(each.every((s) => s.replyTo === `F${String(s.body.content).slice(1)}`)).toBe(true);
  });

  it('slows only the chat that got a 429', async () => {
    http.rateLimitChat.set('group:G1', 3);
    group('L1', 0, 'echo limited');
    await until(() => http.refusals.length >= 1, 'the first 429');
    const asked = performance.now();
    c2c('C2', 'echo free');
    await until(() => sentTo({ kind: 'user', id: 'U1' }).length === 1, 'the other chat’s reply');
    expect(sentTo({ kind: 'user', id: 'U1' })[0]!.at - asked).toBeLessThan(300);
    await until(() => sentTo({ kind: 'group', id: 'G1' }).length === 1, 'the limited chat’s reply after its retries');
    expect(sentTo({ kind: 'group', id: 'G1' })[0]).toMatchObject({ replyTo: 'L1' });
  });

  it('uses another window of the chat only when the message’s own is spent, and logs it at debug level', async () => {
    c2c('EARLIER', 'echo first');
    await until(() => http.sent.length === 1, 'the first reply');
    c2c('CHATTY', 'chatty');
    await until(() => http.sent.length === 7, 'six more replies');
    expect(http.sent.slice(1).map((s) => [String(s.body.content), s.replyTo])).toEqual([
      ['part 1', 'CHATTY'],
      ['part 2', 'CHATTY'],
      ['part 3', 'CHATTY'],
      ['part 4', 'CHATTY'],
      ['part 5', 'CHATTY'],
      ['part 6', 'EARLIER'],
    ]);
    expect(new Set(http.sent.filter((s) => s.replyTo === 'CHATTY').map((s) => s.seq)).size).toBe(5);
    expect(debugLines.some((l) => l.obj.answers === 'CHATTY' && l.obj.via === 'EARLIER' && l.obj.why === 'spent')).toBe(true);
  });
});
