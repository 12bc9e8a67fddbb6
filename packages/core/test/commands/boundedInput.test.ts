import { afterEach, describe, expect, it } from 'vitest';
import { type Bridge, type DispatchOutcome } from '@switchboard/core';
import { waitUntil as until } from '@switchboard/core/testing';
import { memoryUser, startBridge } from '../fixtures/harness.js';

const running: Bridge[] = [];
afterEach(async () => {
  for (const b of running.splice(0)) await b.stop();
});

async function setup(limits = {}) {
  const { bridge, adapter } = await startBridge({
    bridge: { users: [memoryUser('root1', 'root'), memoryUser('uma', 'user'), memoryUser('ulf', 'user')], limits },
  });
  running.push(bridge);
  const outcomes: DispatchOutcome[] = [];
  bridge.dispatcher.outcomes$.subscribe((o) => outcomes.push(o));
  return { bridge, adapter, outcomes };
}

const chars = (texts: string[]) => texts.reduce((n, t) => n + t.length, 0);

describe('bounded input', () => {
  it('quotes at most 64 characters of a huge unknown command, help topic or user name back', async () => {
    const { adapter } = await setup({ maxInput: 2_000_000, userRate: 0 });
    const huge = 'x'.repeat(1_000_000);
    adapter.inject({ from: 'uma', text: huge });
    adapter.inject({ from: 'uma', text: `help ${huge}` });
    adapter.inject({ from: 'root1', text: `promote ${huge}` });
    adapter.inject({ from: 'root1', text: `adduser ${huge} user` });
    await until(() => adapter.textsTo('uma').length === 2 && adapter.textsTo('root1').length === 2, 'four answers');
    const all = [...adapter.textsTo('uma'), ...adapter.textsTo('root1')];
    for (const text of all) expect(text.length).toBeLessThan(200);
    expect(adapter.textsTo('uma')[0]).toBe(`Unknown command "${'x'.repeat(64)}…". Send "help" to see what you can run.`);
  });

  it('does not run a message longer than maxInput, and says so', async () => {
    const { adapter, outcomes } = await setup();
    adapter.inject({ from: 'uma', text: `echo ${'y'.repeat(5000)}` });
    await until(() => adapter.textsTo('uma').length === 1, 'the notice');
    expect(adapter.textsTo('uma')[0]).toBe('Your message is too long (5005 characters; at most 4000); it was not run.');
    expect(outcomes.map((o) => o.result)).toEqual(['limited']);
  });

  it('limits a user’s rate with one notice, not one per message, while others are served and admins are exempt', async () => {
    const { bridge, adapter, outcomes } = await setup({ userRate: 1, userBurst: 5 });
    bridge.registry.register({ name: 'echo', kind: 'get', minTier: 'user', description: 'echo', run: (ctx) => ctx.reply(ctx.argText) });
    for (let i = 0; i < 500; i++) adapter.inject({ from: 'uma', text: `echo flood ${i}` });
    for (let i = 0; i < 50; i++) adapter.inject({ from: 'root1', text: `echo root ${i}` });
    adapter.inject({ from: 'ulf', text: 'echo hello' });
    await until(() => adapter.textsTo('ulf').length === 1 && adapter.textsTo('root1').length === 50, 'the others answered');
    await until(() => bridge.dispatcher.pending === 0, 'idle');
    const toUma = adapter.textsTo('uma');
    expect(toUma.filter((t) => t.startsWith('echo') || t.startsWith('flood'))).toEqual(['flood 0', 'flood 1', 'flood 2', 'flood 3', 'flood 4']);
    expect(toUma.filter((t) => t.startsWith('You are sending commands faster'))).toHaveLength(1);
    expect(toUma).toHaveLength(6);
    expect(outcomes.filter((o) => o.result === 'limited')).toHaveLength(495);
    expect(chars(toUma)).toBeLessThan(300);
  });

  it('caps each sender’s queue behind a slow command, with one notice', async () => {
    const { bridge, adapter } = await setup({ maxQueued: 10, userRate: 0 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    bridge.registry.register({ name: 'slow', kind: 'get', minTier: 'user', description: 'slow', run: async (ctx) => { await gate; await ctx.reply('slow done'); } });
    bridge.registry.register({ name: 'echo', kind: 'get', minTier: 'user', description: 'echo', run: (ctx) => ctx.reply(ctx.argText) });
    adapter.inject({ from: 'uma', text: 'slow' });
    for (let i = 0; i < 400; i++) adapter.inject({ from: 'uma', text: `echo ${'z'.repeat(1000)}${i}` });
    expect(bridge.dispatcher.pending).toBe(10);
    release();
    await until(() => bridge.dispatcher.pending === 0, 'drained');
    await until(() => adapter.textsTo('uma').length === 11, 'answers and one notice');
    expect(adapter.textsTo('uma').filter((t) => t.includes('still waiting'))).toHaveLength(1);
  });
});
