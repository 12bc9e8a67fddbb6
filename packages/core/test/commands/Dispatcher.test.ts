import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandError, type Bridge, type CommandSpec } from '@switchboard/core';
import { startBridge, until } from '../fixtures/harness.js';

let running: Bridge | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function setup(commands: CommandSpec[] = [], bridge: NonNullable<Parameters<typeof startBridge>[0]>['bridge'] = {}) {
  const h = await startBridge({ commands, bridge });
  running = h.bridge;
  return h;
}

const temp: CommandSpec = {
  name: 'temp',
  kind: 'set',
  minTier: 'user',
  description: 'Set the target temperature',
  usage: '<celsius>',
  run: (ctx) => ctx.reply(`temp set to ${ctx.argText}`),
};

describe('Dispatcher', () => {
  it('runs each form people type and replies to the chat it came from', async () => {
    const { adapter } = await setup([temp]);
    for (const text of ['set temp:25', 'temp:26', 'temp：27', '/temp 28', '@bot set temp 29']) adapter.inject({ from: 'carol', text });
    await until(() => adapter.textsTo('carol').length === 5, 'five replies');
    expect(adapter.textsTo('carol')).toEqual([25, 26, 27, 28, 29].map((n) => `temp set to ${n}`));
  });

  it('sends the usage back for a set command without its value', async () => {
    const { adapter } = await setup([temp]);
    adapter.inject({ from: 'carol', text: 'set temp' });
    adapter.inject({ from: 'carol', text: 'temp:' });
    await until(() => adapter.textsTo('carol').length === 2, 'two replies');
    expect(adapter.textsTo('carol')).toEqual(['Usage: temp <celsius>', 'Usage: temp <celsius>']);
  });

  it('answers unknown senders with nothing at all', async () => {
    const { bridge, adapter } = await setup([temp]);
    const outcome = firstValueFrom(bridge.dispatcher.outcomes$);
    adapter.inject({ from: 'mallory', text: 'help' });
    expect((await outcome).result).toBe('ignored');
    await new Promise((r) => setTimeout(r, 30));
    expect(adapter.attempts).toEqual([]);
  });

  it('lets guests run only the commands config allows them', async () => {
    const { adapter } = await setup([temp], { guest: { enabled: true, commands: ['whoami', 'help'] } });
    adapter.inject({ from: 'mallory', text: 'whoami' });
    adapter.inject({ from: 'mallory', text: 'temp:30' });
    adapter.inject({ from: 'mallory', text: 'help' });
    await until(() => adapter.textsTo('mallory').length === 3, 'three replies');
    const [who, refused, help] = adapter.textsTo('mallory');
    expect(who).toMatch(/You are a guest \(memory:mallory\)/);
    expect(refused).toBe('You are not registered here. Ask an admin to add you.');
    expect(help).toMatch(/help \[command\]/);
    expect(help).toMatch(/whoami/);
    expect(help).not.toMatch(/temp/);
  });

  it('refuses a command above the caller’s tier, naming both tiers', async () => {
    const { adapter } = await setup();
    adapter.inject({ from: 'carol', text: 'users' });
    await until(() => adapter.textsTo('carol').length === 1, 'a reply');
    expect(adapter.textsTo('carol')[0]).toBe('"users" needs admin or above; you are user.');
  });

  it('names unknown commands in direct chats but stays quiet about group chatter', async () => {
    const { bridge, adapter } = await setup();
    const group = { platform: 'memory', kind: 'group', id: 'g1' } as const;
    const outcomes: string[] = [];
    bridge.dispatcher.outcomes$.subscribe((o) => outcomes.push(o.result));
    adapter.inject({ from: 'carol', text: 'good morning all', chat: group, mentionsBot: false });
    adapter.inject({ from: 'carol', text: 'frobnicate' });
    adapter.inject({ from: 'bob', text: 'whoami', chat: group, mentionsBot: false });
    await until(() => outcomes.length === 3, 'three outcomes');
    expect(adapter.textsTo('carol')).toEqual(['Unknown command "frobnicate". Send "help" to see what you can run.']);
    expect(adapter.textsTo('g1')[0]).toMatch(/^bob \(admin\)/);
  });

  it('turns a throwing handler into a reply for its caller only; others are unaffected', async () => {
    const { adapter } = await setup([
      { name: 'boom', kind: 'control', minTier: 'user', description: 'fails', run: () => Promise.reject(new Error('kaput')) },
      { name: 'nope', kind: 'control', minTier: 'user', description: 'refuses', run: () => { throw new CommandError('Printer is offline.'); } },
      { name: 'ok', kind: 'get', minTier: 'user', description: 'works', run: (ctx) => ctx.reply('fine') },
    ]);
    adapter.inject({ from: 'carol', text: 'boom' });
    adapter.inject({ from: 'bob', text: 'ok' });
    adapter.inject({ from: 'alice', text: 'nope' });
    await until(() => adapter.delivered.length === 3, 'three replies');
    expect(adapter.textsTo('carol')[0]).toMatch(/^"boom" failed with an internal error \(ref .+\); it has been logged\.$/);
    expect(adapter.textsTo('carol')[0]).not.toMatch(/kaput/);
    expect(adapter.textsTo('bob')).toEqual(['fine']);
    expect(adapter.textsTo('alice')).toEqual(['Printer is offline.']);
  });

  it('abandons a hanging handler at its timeout while other users are answered at once', async () => {
    let aborted = false;
    const { adapter } = await setup([
      {
        name: 'hang',
        kind: 'control',
        minTier: 'user',
        description: 'never returns',
        timeoutMs: 300,
        run: (ctx) =>
          new Promise(() => {
            ctx.signal.addEventListener('abort', () => (aborted = true));
          }),
      },
      { name: 'ok', kind: 'get', minTier: 'user', description: 'works', run: (ctx) => ctx.reply('fine') },
    ]);
    const t0 = Date.now();
    adapter.inject({ from: 'carol', text: 'hang' });
    adapter.inject({ from: 'bob', text: 'ok' });
    await until(() => adapter.textsTo('bob').length === 1, 'bob’s reply');
    expect(Date.now() - t0).toBeLessThan(250);
    await until(() => adapter.textsTo('carol').length === 1, 'the timeout reply');
    expect(adapter.textsTo('carol')[0]).toBe('"hang" did not finish within 300ms and was abandoned.');
    expect(aborted).toBe(true);
  });

  it('times out a short-timeout command on time while a long-timeout one started earlier still runs', async () => {
    const hang = (name: string, timeoutMs: number): CommandSpec => ({
      name,
      kind: 'control',
      minTier: 'user',
      description: 'never returns',
      timeoutMs,
      run: () => new Promise(() => {}),
    });
    const { adapter } = await setup([hang('slowpoke', 60_000), hang('quick', 200)]);
    adapter.inject({ from: 'bob', text: 'slowpoke' });
    await new Promise((r) => setTimeout(r, 20));
    const t0 = Date.now();
    adapter.inject({ from: 'carol', text: 'quick' });
    await until(() => adapter.textsTo('carol').length === 1, 'the quick timeout');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(adapter.textsTo('carol')[0]).toBe('"quick" did not finish within 200ms and was abandoned.');
    expect(adapter.textsTo('bob')).toEqual([]);
  });

  it('aborts every running handler when it stops, also one that asks for its signal only afterwards', async () => {
    const seen: string[] = [];
    const late: Promise<boolean>[] = [];
    const { adapter, bridge } = await setup([
      {
        name: 'watch',
        kind: 'control',
        minTier: 'user',
        description: 'waits for the abort',
        run: (ctx) =>
          new Promise<void>((resolve) => {
            ctx.signal.addEventListener('abort', () => {
              seen.push(ctx.caller.name);
              resolve();
            });
          }),
      },
      {
        name: 'lazy',
        kind: 'control',
        minTier: 'user',
        description: 'looks at its signal only later',
        run: (ctx) => {
          late.push(new Promise((resolve) => setTimeout(() => resolve(ctx.signal.aborted), 100)));
          return new Promise(() => {});
        },
      },
    ]);
    adapter.inject({ from: 'carol', text: 'watch' });
    adapter.inject({ from: 'bob', text: 'watch' });
    adapter.inject({ from: 'alice', text: 'lazy' });
    await until(() => bridge.dispatcher.active === 3, 'three handlers running');
    bridge.dispatcher.stop();
    await until(() => seen.length === 2, 'both watchers aborted');
    expect(seen.sort()).toEqual(['bob', 'carol']);
    expect(await Promise.all(late)).toEqual([true]);
  });

  it('keeps one sender’s commands and replies in the order they were sent', async () => {
    const { adapter } = await setup([
      {
        name: 'slow',
        kind: 'get',
        minTier: 'user',
        description: 'progress then result',
        run: async (ctx) => {
          await ctx.reply('working…');
          await new Promise((r) => setTimeout(r, 80));
          await ctx.reply('slow done');
        },
      },
      { name: 'fast', kind: 'get', minTier: 'user', description: 'quick', run: (ctx) => ctx.reply('fast done') },
    ]);
    adapter.inject({ from: 'carol', text: 'slow' });
    adapter.inject({ from: 'carol', text: 'fast' });
    await until(() => adapter.textsTo('carol').length === 3, 'three replies');
    expect(adapter.textsTo('carol')).toEqual(['working…', 'slow done', 'fast done']);
  });

  it('bounds how many handlers run at once', async () => {
    let active = 0;
    let peak = 0;
    const { adapter } = await setup(
      [
        {
          name: 'work',
          kind: 'get',
          minTier: 'user',
          description: 'takes a while',
          run: async (ctx) => {
            peak = Math.max(peak, ++active);
            await new Promise((r) => setTimeout(r, 20));
            active--;
            await ctx.reply('done');
          },
        },
      ],
      { concurrency: 3 },
    );
    for (const from of ['alice', 'bob', 'carol']) for (let i = 0; i < 4; i++) adapter.inject({ from, text: 'work' });
    await until(() => adapter.delivered.length === 12, 'twelve replies');
    expect(peak).toBe(3);
  });
});
