import type { EventEmitter } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PuppetMock, mock } from 'wechaty-puppet-mock';
import { Bridge, MemoryStore, type Store } from '@switchboard/core';
import { waitUntil as until } from '@switchboard/core/testing';
import { QqAdapter, QqConfigSchema } from '@switchboard/adapter-qq';
import { FakeGateway, FakeQqHttp } from '@switchboard/adapter-qq/testing';
import { WechatAdapter, WechatConfigSchema } from '@switchboard/adapter-wechat';
import { Relay, RelaySections, RouteSchema, type Update } from '@switchboard/relay';

/**
 * One bridge with both real adapters: QQ on the project's strict fakes (gateway and HTTP), WeChat
 * on Wechaty with wechaty-puppet-mock, and the relay. Alice is one person on both (on WeChat by display name: a new mock login, like a web puppet's, changes ids).
 */
const secret = 'DG5g3B4j9X2KOErG';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function twoPlatforms(store: Store = new MemoryStore(), fallbackAfterMs = 300_000) {
  const http = new FakeQqHttp('11111111', secret);
  await http.start();
  const gateway = new FakeGateway();
  await gateway.start();
  http.gatewayUrl = gateway.url;
  const qq = new QqAdapter({
    config: QqConfigSchema.parse({ appId: '11111111', secret, apiBase: http.base, tokenUrl: `${http.base}/app/getAppAccessToken` }),
    backoff: { baseMs: 10, maxMs: 40 },
  });
  const mocker = new mock.Mocker();
  const puppet = new PuppetMock({ mocker });
  const botUser = mocker.createContact({ name: 'Bot' });
  const aliceW = mocker.createContact({ name: 'Alice' });
  const wechat = new WechatAdapter({
    config: WechatConfigSchema.parse({ perChatInterval: 0, jitter: 0, sendRate: 50 }),
    sessionDir: await mkdtemp(join(tmpdir(), 'sb-wechat-')),
    puppet,
  });
  const relay = new Relay({
    feeds: [],
    routes: [RouteSchema.parse({ name: 'all to admins', match: {}, notify: { tier: 'admin' } })],
    relay: RelaySections.relay.parse({ template: '{{device}}: {{state}}' }),
  });
  const bridge = new Bridge({
    store,
    adapters: [qq, wechat],
    plugins: [relay],
    users: [{ name: 'alice', tier: 'root', identities: [{ platform: 'qq', id: 'U1' }, { platform: 'wechat', id: 'name:Alice' }] }],
    outbox: { retryBaseMs: 10, retryMaxMs: 40, deferredRecheckMs: 600_000 },
    notifications: { fallbackAfterMs },
  });
  await bridge.start();
  cleanups.push(async () => {
    await bridge.stop();
    await gateway.stop();
    await http.stop();
  });
  mocker.login(botUser);
  await until(() => wechat.loggedIn && gateway.current?.received.some((p) => p.op === 2) === true, 'both platforms up');

  const second = () => new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
  let n = 0;
  const onQq = (content: string) => {
    const id = `C2C-${++n}`;
    http.issueMsgId(id, { kind: 'user', id: 'U1' });
    gateway.dispatch('C2C_MESSAGE_CREATE', { id, content, timestamp: second(), author: { user_openid: 'U1' } });
    return id;
  };
  const onWechat = (text: string) => aliceW.say(text).to(botUser);
  const wechatTexts: string[] = [];
  (aliceW as unknown as EventEmitter).on('message', (m: mock.MessageMock) => {
    if (m.talker().id === botUser.id) wechatTexts.push(m.payload.text ?? '');
  });
  const qqTexts = () => http.sent.map((s) => String(s.body.content));
  const update = (key: string, state: string, severity: Update['severity'] = 'warning'): Update => ({
    source: 'plant',
    key,
    topic: 'status',
    severity,
    state,
    text: '',
    at: Date.now(),
    resolved: false,
  });
  const alice = () => bridge.directory.get('alice')!;
  return { http, gateway, qq, wechat, relay, bridge, onQq, onWechat, qqTexts, wechatTexts, update, alice, store };
}

const count = (texts: string[], needle: string) => texts.filter((t) => t.includes(needle)).length;

describe('notifications reach a person on QQ and WeChat', () => {
  it('a relay notification for a QQ one-to-one user waits for her window and is delivered exactly once when she writes', async () => {
    const t = await twoPlatforms();
    const routed = await t.relay.handle(t.update('boiler', 'pressure low'));
    expect(routed.recipients).toEqual(['alice']);
    await until(() => t.bridge.outbox.deferredCount === 1, 'held for her QQ window');
    expect(t.bridge.outbox.size).toBe(1);
    const asked = t.onQq('whoami');
    await until(() => count(t.qqTexts(), 'pressure low') === 1 && count(t.qqTexts(), 'alice (root)') === 1, 'the page and her answer');
    await new Promise((r) => setTimeout(r, 150));
    expect(count(t.qqTexts(), 'pressure low')).toBe(1);
    expect(t.http.sent.every((s) => s.chat.kind === 'user' && s.chat.id === 'U1' && s.replyTo === asked)).toBe(true);
    expect(t.http.refusals).toEqual([]);
    expect(t.wechatTexts).toEqual([]);
    expect(t.bridge.outbox.size).toBe(0);
    // whoami said where her notifications go.
    expect(t.qqTexts().find((x) => x.startsWith('alice (root)'))).toMatch(/notifications: last \(now qq, last wrote from qq\)/);
  });

  it('follows her to the platform she last wrote from', async () => {
    const t = await twoPlatforms();
    t.onWechat('whoami');
    await until(() => t.wechatTexts.length === 1, 'her answer on WeChat');
    await t.relay.handle(t.update('pump', 'stopped'));
    await until(() => count(t.wechatTexts, 'pump: stopped') === 1, 'on WeChat');
    expect(count(t.qqTexts(), 'pump')).toBe(0);
  });

  it('a critical page still waiting on QQ also goes out on WeChat after the fallback time, once, and says so', async () => {
    const t = await twoPlatforms(new MemoryStore(), 400);
    t.onWechat('notify qq');
    await until(() => t.wechatTexts.some((x) => x.startsWith('Your notifications now go to: qq')), 'her choice');
    await t.relay.handle(t.update('reactor', 'overheat', 'critical'));
    await new Promise((r) => setTimeout(r, 150));
    expect(count(t.wechatTexts, 'reactor')).toBe(0);
    await until(() => count(t.wechatTexts, 'reactor: overheat') === 1, 'the fallback on WeChat', 3000);
    expect(t.wechatTexts.find((x) => x.includes('reactor'))).toBe('↪ Sent here on wechat because it was not delivered on qq within 400ms:\nreactor: overheat');
    // She opens QQ later: her answer, not the page again.
    t.onQq('whoami');
    await until(() => count(t.qqTexts(), 'alice (root)') === 1, 'her answer on QQ');
    await new Promise((r) => setTimeout(r, 600));
    expect(count(t.qqTexts(), 'reactor')).toBe(0);
    expect(count(t.wechatTexts, 'reactor')).toBe(1);
    expect(t.bridge.outbox.size).toBe(0);
  });

  it('her choice survives a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-notify-'));
    const { FileStore } = await import('@switchboard/core');
    const first = await twoPlatforms(new FileStore({ dir }));
    first.onQq('notify wechat');
    await until(() => first.alice().notify === 'wechat', 'her choice');
    for (const cleanup of cleanups.splice(0)) await cleanup();
    const second = await twoPlatforms(new FileStore({ dir }));
    expect(second.alice().notify).toBe('wechat');
    await second.relay.handle(second.update('door', 'open'));
    await until(() => count(second.wechatTexts, 'door: open') === 1, 'on WeChat after the restart');
    expect(second.bridge.outbox.size).toBe(0);
  });
});
