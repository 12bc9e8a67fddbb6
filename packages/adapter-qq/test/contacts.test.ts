import { afterEach, describe, expect, it } from 'vitest';
import { Bridge, MemoryStore, type Store } from '@switchboard/core';
import { waitUntil as until } from '@switchboard/core/testing';
import { QqAdapter, QqConfigSchema } from '@switchboard/adapter-qq';
import { FakeGateway, FakeQqHttp, type FakeChat } from '@switchboard/adapter-qq/testing';

const secret = 'DG5g3B4j9X2KOErG';
const open: { bridge: Bridge; http: FakeQqHttp; gateway: FakeGateway }[] = [];
afterEach(async () => {
  for (const { bridge, http, gateway } of open.splice(0)) {
    await bridge.stop();
    await gateway.stop();
    await http.stop();
  }
});

/** A bridge on the QQ fakes with alice (C2C U1), a group member, and a guild user. */
async function setup(extra: Record<string, unknown> = {}, store: Store = new MemoryStore()) {
  const http = new FakeQqHttp('11111111', secret);
  await http.start();
  const gateway = new FakeGateway();
  await gateway.start();
  http.gatewayUrl = gateway.url;
  const adapter = new QqAdapter({
    config: QqConfigSchema.parse({ appId: '11111111', secret, apiBase: http.base, tokenUrl: `${http.base}/app/getAppAccessToken`, ...extra }),
    backoff: { baseMs: 10, maxMs: 40 },
  });
  const bridge = new Bridge({
    store,
    adapters: [adapter],
    users: [
      { name: 'alice', tier: 'root', identities: [{ platform: 'qq', id: 'U1' }] },
      { name: 'mia', tier: 'user', identities: [{ platform: 'qq', id: 'MEM1' }] },
      { name: 'gus', tier: 'user', identities: [{ platform: 'qq', id: 'GUILDUSER1' }] },
      { name: 'uma', tier: 'user', identities: [{ platform: 'qq', id: 'union:UNION7' }] },
    ],
    outbox: { retryBaseMs: 10, retryMaxMs: 40, deferredRecheckMs: 60_000 },
  });
  await bridge.start();
  open.push({ bridge, http, gateway });
  await until(() => gateway.current?.received.some((p) => p.op === 2) === true, 'identify');
  const second = () => new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
  const events = {
    c2c(id: string, from: string, content: string, union?: string) {
      http.issueMsgId(id, { kind: 'user', id: from });
      gateway.dispatch('C2C_MESSAGE_CREATE', { id, content, timestamp: second(), author: { user_openid: from, ...(union ? { union_openid: union } : {}) } });
    },
    group(id: string, member: string, group: string, content: string, union?: string) {
      http.issueMsgId(id, { kind: 'group', id: group });
      gateway.dispatch('GROUP_AT_MESSAGE_CREATE', { id, content: ` ${content}`, timestamp: second(), group_openid: group, author: { member_openid: member, ...(union ? { union_openid: union } : {}) } });
    },
    guildDm(id: string, user: string, dmGuild: string, content: string) {
      http.issueMsgId(id, { kind: 'dm', id: dmGuild });
      gateway.dispatch('DIRECT_MESSAGE_CREATE', { id, content, timestamp: second(), guild_id: dmGuild, src_guild_id: 'REALGUILD', channel_id: 'DMCH', author: { id: user } });
    },
    channel(id: string, user: string, channel: string, content: string) {
      http.issueMsgId(id, { kind: 'channel', id: channel });
      gateway.dispatch('AT_MESSAGE_CREATE', { id, content: `<@!bot> ${content}`, timestamp: second(), guild_id: 'REALGUILD', channel_id: channel, author: { id: user } });
    },
    friendAdd(eventId: string, openid: string) {
      http.issueEventId(eventId, { kind: 'user', id: openid });
      gateway.dispatch('FRIEND_ADD', { openid, timestamp: Math.floor(Date.now() / 1000) }, eventId);
    },
  };
  const sentTo = (chat: FakeChat) => http.sent.filter((s) => s.chat.kind === chat.kind && s.chat.id === chat.id);
  const user = (name: string) => bridge.directory.get(name)!;
  const routeOf = (name: string) => bridge.notifier.route(user(name)).send.map((d) => `${d.kind}:${d.id}`);
  return { http, gateway, adapter, bridge, events, sentTo, user, routeOf };
}

describe('QQ: where a person is reached', () => {
  it('holds a notification for a one-to-one user and delivers it exactly once after they write, in their own chat', async () => {
    const { bridge, events, sentTo, user, http } = await setup();
    await bridge.notifier.notify([user('alice')], 'boiler: pressure low');
    await until(() => bridge.outbox.deferredCount === 1, 'held for her window');
    expect(http.sent).toEqual([]);
    events.c2c('C2C-1', 'U1', 'whoami');
    await until(() => sentTo({ kind: 'user', id: 'U1' }).length === 2, 'the page and her answer');
    await new Promise((r) => setTimeout(r, 100));
    const sent = sentTo({ kind: 'user', id: 'U1' });
    expect(sent.map((s) => String(s.body.content).split('\n')[0])).toEqual(expect.arrayContaining(['boiler: pressure low', 'alice (root)']));
    expect(sent.filter((s) => String(s.body.content).includes('pressure low'))).toHaveLength(1);
    // Both answer her message, each with its own msg_seq; nothing went anywhere else.
    expect(sent.every((s) => s.replyTo === 'C2C-1')).toBe(true);
    expect(new Set(sent.map((s) => s.seq)).size).toBe(2);
    expect(http.sent).toHaveLength(2);
    expect(http.refusals).toEqual([]);
    expect(bridge.outbox.size).toBe(0);
  });

  it('wakes a held notification on a friend-add too', async () => {
    const { bridge, events, sentTo, user } = await setup();
    await bridge.notifier.notify([user('alice')], 'welcome page');
    await until(() => bridge.outbox.deferredCount === 1, 'held');
    events.friendAdd('EV-1', 'U1');
    await until(() => sentTo({ kind: 'user', id: 'U1' }).length === 1, 'delivered on the event window');
    expect(sentTo({ kind: 'user', id: 'U1' })[0]!.replyTo).toBe('EV-1');
  });

  it('never sends a person’s notification into a group unless groupFallback allows it', async () => {
    const strict = await setup();
    strict.events.group('G-1', 'MEM1', 'GROUP1', 'whoami');
    await until(() => strict.sentTo({ kind: 'group', id: 'GROUP1' }).length === 1, 'her answer in the group');
    expect(strict.routeOf('mia')).toEqual([]);
    expect(await strict.bridge.notifier.notify([strict.user('mia')], 'secret page')).toEqual([]);

    const lenient = await setup({ groupFallback: true });
    lenient.events.group('G-2', 'MEM1', 'GROUP1', 'whoami');
    await until(() => lenient.adapter.contacts.size === 1, 'the group learned');
    expect(lenient.routeOf('mia')).toEqual(['group:GROUP1']);
  });

  it('with groupFallback, a member’s held notification wakes on the next @ in their group, and goes there once', async () => {
    const { events, adapter, bridge, user, sentTo } = await setup({ groupFallback: true });
    events.group('G-1', 'MEM1', 'GROUP1', 'whoami');
    await until(() => adapter.contacts.size === 1 && sentTo({ kind: 'group', id: 'GROUP1' }).length === 1, 'learned, and answered');
    // Her message's window has closed by the time the page comes (5 minutes in groups).
    adapter.windows.close({ platform: 'qq', kind: 'group', id: 'GROUP1' }, { window: { id: 'G-1' } } as never);
    await bridge.notifier.notify([user('mia')], 'backup failed');
    await until(() => bridge.outbox.deferredCount === 1, 'held for the group');
    events.group('G-2', 'MEM2', 'GROUP1', 'hello');
    await until(() => sentTo({ kind: 'group', id: 'GROUP1' }).some((s) => s.body.content === 'backup failed'), 'delivered in the group');
    await new Promise((r) => setTimeout(r, 100));
    expect(sentTo({ kind: 'group', id: 'GROUP1' }).filter((s) => s.body.content === 'backup failed')).toHaveLength(1);
    expect(sentTo({ kind: 'group', id: 'GROUP1' }).find((s) => s.body.content === 'backup failed')!.replyTo).toBe('G-2');
  });

  it('reaches a group member on their one-to-one chat once the union id links them', async () => {
    const { events, routeOf, adapter } = await setup();
    events.group('G-1', 'MEM1', 'GROUP1', 'hello', 'UNION1');
    await until(() => adapter.contacts.size === 1, 'learned');
    expect(routeOf('mia')).toEqual([]);
    events.c2c('C2C-1', 'U5', 'hello', 'UNION1');
    await until(() => routeOf('mia').length === 1, 'linked');
    expect(routeOf('mia')).toEqual(['user:U5']);
    // An identity written as the union id finds the same chat.
    events.c2c('C2C-2', 'U7', 'hello', 'UNION7');
    await until(() => routeOf('uma').length === 1, 'union identity');
    expect(routeOf('uma')).toEqual(['user:U7']);
  });

  it('reaches a guild user in their guild DM once they have one, and not before', async () => {
    const { events, routeOf } = await setup();
    // Never seen, an id is taken for a user_openid, as the README says to write one.
    expect(routeOf('gus')).toEqual(['user:GUILDUSER1']);
    events.channel('CH-1', 'GUILDUSER1', 'CHAN1', 'hello');
    await until(() => routeOf('gus').length === 0, 'a guild user without a DM');
    events.guildDm('DM-1', 'GUILDUSER1', 'DMGUILD9', 'hello');
    await until(() => routeOf('gus')[0] === 'dm:DMGUILD9', 'the DM learned');
    expect(routeOf('gus')).toEqual(['dm:DMGUILD9']);
  });

  it('with activeMessages, sends each kind to its own endpoint, and the platform accepts every one', async () => {
    const { http, events, bridge, user, routeOf } = await setup({ activeMessages: true });
    http.activeAllowed = true;
    // Alice added the bot long ago (the platform knows her chat) and has not written since: no window.
    http.addChat({ kind: 'user', id: 'U1' });
    events.guildDm('DM-1', 'GUILDUSER1', 'DMGUILD9', 'hello');
    await until(() => routeOf('gus')[0] === 'dm:DMGUILD9', 'learned');
    // Their windows are spent or not needed: active sends.
    await bridge.notifier.notify([user('alice'), user('gus')], 'active page');
    await until(() => http.sent.filter((s) => s.body.content === 'active page').length === 2, 'both');
    const paths = http.sent.filter((s) => s.body.content === 'active page').map((s) => s.path).sort();
    expect(paths).toEqual(['/dms/DMGUILD9/messages', '/v2/users/U1/messages']);
    expect(http.sent.find((s) => s.path === '/v2/users/U1/messages')!.replyTo).toBeUndefined();
    expect(http.refusals).toEqual([]);
  });

  it('the fake refuses an active message to an id that is no chat of that kind', async () => {
    const { http, adapter } = await setup({ activeMessages: true });
    http.activeAllowed = true;
    const result = await adapter.send({ id: 'x', to: { platform: 'qq', kind: 'user', id: 'MEM1' }, text: 'to a member id', attempt: 1 });
    expect(result.type).toBe('failed');
    expect(http.refusals.map((r) => r.code)).toEqual([11255]);
  });

  it('remembers what it learned across a restart', async () => {
    const store = new MemoryStore();
    const first = await setup({}, store);
    first.events.guildDm('DM-1', 'GUILDUSER1', 'DMGUILD9', 'hello');
    await until(() => first.routeOf('gus')[0] === 'dm:DMGUILD9', 'learned');
    await first.bridge.stop();
    open.splice(0, 1);
    await first.gateway.stop();
    await first.http.stop();
    const second = await setup({}, store);
    expect(second.routeOf('gus')).toEqual(['dm:DMGUILD9']);
  });
});

describe('QQ: a reply that quotes the bot', () => {
  it('carries the text of the bot’s own message it references', async () => {
    const { events, gateway, http, adapter, sentTo } = await setup();
    const quoted: (string | undefined)[] = [];
    adapter.inbound$.subscribe((m) => quoted.push(m.quoted?.text));
    events.channel('CH-1', 'GUILDUSER1', 'CH1', 'whoami');
    await until(() => sentTo({ kind: 'channel', id: 'CH1' }).length === 1, 'the answer');
    const answerId = `sent-${http.sent.length}`;
    const answer = String(sentTo({ kind: 'channel', id: 'CH1' })[0]!.body.content);
    http.issueMsgId('CH-2', { kind: 'channel', id: 'CH1' });
    gateway.dispatch('AT_MESSAGE_CREATE', {
      id: 'CH-2',
      content: '<@!bot> ack',
      timestamp: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString(),
      guild_id: 'REALGUILD',
      channel_id: 'CH1',
      author: { id: 'GUILDUSER1' },
      message_reference: { message_id: answerId },
    });
    await until(() => quoted.length === 2, 'the reply');
    expect(quoted).toEqual([undefined, answer]);
  });
});
