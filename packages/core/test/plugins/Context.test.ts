import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Bridge, definePlugin, systemActor, FileStore, MemoryStore, type Context, type DispatchOutcome, type Plugin } from '@switchboard/core';
import { MemoryAdapter, memoryUser, startMemoryBridge, waitUntil } from '@switchboard/core/testing';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function bridgeWith(plugins: NonNullable<ConstructorParameters<typeof Bridge>[0]['plugins']>, guest = false) {
  const { bridge, adapter } = await startMemoryBridge({ bridge: { plugins, guest: { enabled: guest, commands: ['help', 'whoami'] } } });
  cleanups.push(() => bridge.stop());
  const outcomes: DispatchOutcome[] = [];
  bridge.dispatcher.outcomes$.subscribe((o) => outcomes.push(o));
  return { bridge, adapter, outcomes };
}

const ping = {
  name: 'ping',
  kind: 'get',
  minTier: 'user',
  description: 'Answer pong',
  run: (c: { reply(text: string): Promise<unknown>; argText: string }) => c.reply(`pong ${c.argText}`.trim()),
} as const;

describe('plugin context', () => {
  it('a plain object with no import is a plugin; its config is validated and its command runs', async () => {
    const greeter = {
      name: 'greeter',
      config: z.object({ word: z.string().default('pong') }).strict(),
      apply(ctx: Context, config: { word: string }) {
        ctx.command({ ...ping, run: (c) => c.reply(`${config.word} ${c.caller.name}`) });
      },
    };
    const { adapter } = await bridgeWith([{ plugin: greeter, config: { word: '嗨' } }]);
    adapter.inject({ from: 'carol', text: 'ping' });
    await waitUntil(() => adapter.textsTo('carol').length === 1, 'the greeting');
    expect(adapter.textsTo('carol')).toEqual(['嗨 carol']);
    await expect(
      new Bridge({ store: new MemoryStore(), plugins: [{ plugin: greeter, config: { word: 3 } }] }).start(),
    ).rejects.toThrow(/word: expected string/i);
  });

  it('undoes everything a plugin registered when it stops, children first, newest first', async () => {
    const order: string[] = [];
    const child = definePlugin({
      name: 'child',
      apply(ctx) {
        ctx.command({ ...ping, name: 'childcmd' });
        ctx.onDispose(() => order.push('child'));
      },
    });
    const parent = definePlugin({
      name: 'parent',
      async apply(ctx) {
        ctx.onDispose(() => order.push('parent first'));
        ctx.command(ping);
        ctx.middleware((_m, next) => next());
        const nested = await ctx.plugin(child);
        expect(nested.name).toBe('parent/child');
        ctx.onDispose(() => order.push('parent last'));
      },
    });
    const { bridge } = await bridgeWith([]);
    const ctx = await bridge.root.plugin(parent);
    expect(bridge.registry.resolve('childcmd')).toBeDefined();
    await ctx.dispose();
    expect(order).toEqual(['child', 'parent last', 'parent first']);
    expect(bridge.registry.resolve('ping')).toBeUndefined();
    expect(bridge.registry.resolve('childcmd')).toBeUndefined();
    expect(bridge.root.plugins.has('parent')).toBe(false);
    expect(() => ctx.command(ping)).toThrow(/has stopped/);
    // Applied again after stopping: nothing left over stands in the way.
    await bridge.root.plugin(parent);
    expect(bridge.registry.resolve('childcmd')).toBeDefined();
  });

  it('a plugin whose apply throws leaves nothing behind, and the bridge does not start half-way', async () => {
    const adapter = new MemoryAdapter({ name: 'extra' });
    const broken: Plugin<unknown> = {
      name: 'broken',
      apply(ctx) {
        ctx.command(ping);
        ctx.adapter(adapter);
        throw new Error('no database');
      },
    };
    const bridge = new Bridge({ store: new MemoryStore(), adapters: [new MemoryAdapter()], plugins: [broken] });
    await expect(bridge.start()).rejects.toThrow('no database');
    expect(bridge.running).toBe(false);
    expect(bridge.registry.list().some((c) => c.name === 'ping')).toBe(false);
    expect(bridge.adapters.map((a) => a.name)).toEqual(['memory']);
  });

  it('middleware sees admitted senders before commands; not calling next consumes the message', async () => {
    const seen: string[] = [];
    const autoReply = definePlugin({
      name: 'autoreply',
      apply(ctx) {
        ctx.command(ping);
        ctx.middleware(async (m, next) => {
          seen.push(`${m.caller.name}:${m.text}`);
          if (m.text.includes('天气')) {
            await m.reply('今天晴');
            return;
          }
          await next();
        });
      },
    });
    const { adapter, outcomes } = await bridgeWith([autoReply]);
    adapter.inject({ from: 'carol', text: '今天天气怎么样' });
    adapter.inject({ from: 'carol', text: 'ping 1' });
    // Chatter in a group that is not a command still reaches the middleware.
    adapter.inject({ from: 'bob', text: '天气', chat: { platform: 'memory', kind: 'group', id: 'g1' }, mentionsBot: false });
    // A stranger is not admitted (guests are off): the middleware never sees them.
    adapter.inject({ from: 'mallory', text: '天气' });
    await waitUntil(() => outcomes.length === 4, 'the four outcomes');
    expect(adapter.textsTo('carol')).toEqual(['今天晴', 'pong 1']);
    expect(adapter.textsTo('g1')).toEqual(['今天晴']);
    expect(adapter.textsTo('mallory')).toEqual([]);
    // One sender's messages in order; senders run side by side.
    expect(seen.filter((s) => s.startsWith('carol:'))).toEqual(['carol:今天天气怎么样', 'carol:ping 1']);
    expect(seen.filter((s) => !s.startsWith('carol:'))).toEqual(['bob:天气']);
    expect(outcomes.map((o) => `${o.user ?? '?'}:${o.result}`).sort()).toEqual(['?:ignored', 'bob:handled', 'carol:handled', 'carol:ok']);
  });

  it('guests admitted by the policy reach middleware as guests, and cannot run more through it', async () => {
    const callers: { name: string; user: boolean; mayPing: boolean }[] = [];
    const spy = definePlugin({
      name: 'spy',
      apply(ctx) {
        ctx.command({ ...ping, minTier: 'admin' });
        ctx.middleware((m, next) => {
          const command = ctx.host.registry.resolve('ping')!;
          callers.push({ name: m.caller.name, user: m.caller.user !== undefined, mayPing: m.caller.may(command) });
          return next();
        });
      },
    });
    const { adapter, outcomes } = await bridgeWith([spy], true);
    adapter.inject({ from: 'mallory', text: 'ping' });
    await waitUntil(() => outcomes.length === 1, 'the refusal');
    expect(callers).toEqual([{ name: 'mallory', user: false, mayPing: false }]);
    expect(outcomes[0]!.result).toBe('refused');
    expect(adapter.textsTo('mallory')).toEqual(['You are not registered here. Ask an admin to add you.']);
  });

  it('a middleware that throws is logged as an error and the next message is still handled', async () => {
    let fail = true;
    const flaky = definePlugin({
      name: 'flaky',
      apply(ctx) {
        ctx.command(ping);
        ctx.middleware(async (_m, next) => {
          if (fail) {
            fail = false;
            throw new Error('boom');
          }
          await next();
        });
      },
    });
    const { adapter, outcomes } = await bridgeWith([flaky]);
    adapter.inject({ from: 'carol', text: 'ping a' });
    adapter.inject({ from: 'carol', text: 'ping b' });
    await waitUntil(() => outcomes.length === 2, 'both outcomes');
    expect(outcomes.map((o) => o.result)).toEqual(['error', 'ok']);
    expect(adapter.textsTo('carol')).toEqual(['pong b']);
  });

  it('adds an adapter at runtime and takes it away again when the plugin stops', async () => {
    const extra = new MemoryAdapter({ name: 'extra' });
    const { bridge } = await bridgeWith([]);
    await bridge.directory.add(systemActor('test'), { name: 'dave', tier: 'user', identities: [{ platform: 'extra', id: 'dave' }] });
    const ctx = await bridge.root.plugin(
      definePlugin({
        name: 'platform',
        apply(c) {
          c.adapter(extra);
          c.command(ping);
        },
      }),
    );
    await waitUntil(() => bridge.adapters.length === 2, 'the second adapter');
    extra.inject({ from: 'dave', text: 'ping' });
    await waitUntil(() => extra.textsTo('dave').length === 1, 'the reply on it');
    await ctx.dispose();
    expect(bridge.adapters.map((a) => a.name)).toEqual(['memory']);
    extra.inject({ from: 'dave', text: 'ping' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(extra.textsTo('dave')).toEqual(['pong']);
  });

  it('notifies by name and by tier, and names users it does not know', async () => {
    let context: Context | undefined;
    const { adapter } = await bridgeWith([definePlugin({ name: 'pager', apply: (ctx) => void (context = ctx) })]);
    const reached = await context!.notify({ tier: 'admin', users: ['carol'] }, '水泵停了');
    expect(reached.map((u) => u.name).sort()).toEqual(['alice', 'bob', 'carol']);
    await waitUntil(() => ['alice', 'bob', 'carol'].every((n) => adapter.textsTo(n).length === 1), 'the three pages');
    await expect(context!.notify({ users: ['carol', 'nobody'] }, 'x')).rejects.toThrow('no such user: nobody');
    expect(adapter.textsTo('carol')).toEqual(['水泵停了']);
  });

  it('follows bridge events, and stops following when the plugin stops', async () => {
    const events: string[] = [];
    const watcher = definePlugin({
      name: 'watcher',
      apply(ctx) {
        ctx.on('ready', () => events.push('ready'));
        ctx.on('stopping', (reason) => events.push(`stopping:${reason}`));
        ctx.on('outcome', (o) => events.push(`outcome:${o.result}`));
        // "seen" changes (the platform a user last wrote from) come and go with chatter.
        ctx.on('user', (change) => change.type !== 'seen' && events.push(`user:${change.type}`));
        ctx.on('status', () => {
          throw new Error('a handler that fails is logged, not fatal');
        });
      },
    });
    const late = definePlugin({ name: 'late', apply: (ctx) => void ctx.on('outcome', (o) => events.push(`late:${o.result}`)) });
    const { bridge, adapter } = await bridgeWith([watcher]);
    const lateCtx = await bridge.root.plugin(late);
    adapter.announce('ready');
    adapter.inject({ from: 'carol', text: 'whoami' });
    await waitUntil(() => events.includes('outcome:ok'), 'the first outcome');
    await lateCtx.dispose();
    adapter.inject({ from: 'carol', text: 'whoami' });
    await waitUntil(() => events.filter((e) => e === 'outcome:ok').length === 2, 'the second outcome');
    await bridge.directory.add(systemActor('test'), memoryUser('erin', 'user'));
    await bridge.stop('test over');
    expect(events).toEqual(['ready', 'outcome:ok', 'late:ok', 'outcome:ok', 'user:added', 'stopping:test over']);
  });

  it('keeps a plugin its own key-value space across restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-plugin-store-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    let context: Context | undefined;
    const counter = definePlugin({ name: 'counter', apply: (ctx) => void (context = ctx) });
    const run = async (fn: (ctx: Context) => Promise<void>) => {
      const bridge = new Bridge({ store: new FileStore({ dir }), plugins: [counter] });
      await bridge.start();
      await fn(context!);
      await bridge.stop();
    };
    await run(async (ctx) => {
      await Promise.all([ctx.store.set('count', 1), ctx.store.set('names', ['泵', 'pump']), ctx.store.set('gone', true)]);
      await ctx.store.delete('gone');
      await expect(ctx.store.set('bad', 10n)).rejects.toThrow();
    });
    await run(async (ctx) => {
      expect(await ctx.store.get('count')).toBe(1);
      expect(await ctx.store.get('names')).toEqual(['泵', 'pump']);
      expect((await ctx.store.keys()).sort()).toEqual(['count', 'names']);
    });
  });

  it("keeps each plugin's store apart, nested ones included", async () => {
    const { bridge } = await bridgeWith([]);
    const a = await bridge.root.plugin(definePlugin({ name: 'a', apply: () => undefined }));
    const b = await bridge.root.plugin(definePlugin({ name: 'b', apply: () => undefined }));
    const child = await a.plugin(definePlugin({ name: 'b', apply: () => undefined }));
    await Promise.all([a.store.set('k', 'a'), b.store.set('k', 'b'), child.store.set('k', 'a/b')]);
    expect([await a.store.get('k'), await b.store.get('k'), await child.store.get('k')]).toEqual(['a', 'b', 'a/b']);
    // A dot would let a top-level name reach a nested plugin's document ("a.b" → plugin.a.b).
    await expect(bridge.root.plugin({ name: 'a.b', apply: () => undefined })).rejects.toThrow(/may hold only letters, digits/);
  });

  it('refuses two plugins of one name, and values that are not plugins', async () => {
    const { bridge } = await bridgeWith([]);
    const one = definePlugin({ name: 'one', apply: () => undefined });
    await bridge.root.plugin(one);
    await expect(bridge.root.plugin(one)).rejects.toThrow('a plugin named "one" is already running');
    await expect(bridge.root.plugin({ name: 'x' } as unknown as Plugin)).rejects.toThrow('not a plugin: its "apply" must be a function');
  });
});
