import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bridge, DispatchOutcome } from '@switchboard/core';
import { mockWechat, until } from './fixtures/mockWechat.js';

const running: Bridge[] = [];
afterEach(async () => {
  for (const b of running.splice(0)) await b.stop();
});

const echo = { name: 'echo', kind: 'get' as const, minTier: 'user' as const, description: 'echo', run: (ctx: { reply(t: string): Promise<void>; argText: string }) => ctx.reply(ctx.argText) };

async function setup() {
  const h = await mockWechat([echo]);
  running.push(h.bridge);
  return h;
}

describe('WeChat adapter on wechaty-puppet-mock', () => {
  it('answers a known user’s command in a DM', async () => {
    const { alice, botUser, sentTo } = await setup();
    const replies = sentTo(alice);
    alice.say('whoami').to(botUser);
    await until(() => replies.length === 1, 'the reply');
    expect(replies[0]).toMatch(/^alice \(root\)\nidentities: wechat:/);
  });

  it('matches a user by display name when configured so', async () => {
    const { carol, botUser, sentTo } = await setup();
    const replies = sentTo(carol);
    carol.say('whoami').to(botUser);
    await until(() => replies.length === 1, 'the reply');
    expect(replies[0]).toMatch(/^carol \(user\)/);
  });

  it('in a room, answers only when mentioned', async () => {
    const { alice, botUser, room, sentTo, bridge } = await setup();
    const replies = sentTo(room);
    const outcomes: DispatchOutcome[] = [];
    bridge.dispatcher.outcomes$.subscribe((o) => outcomes.push(o));
    alice.say('whoami').to(room);
    await new Promise((r) => setTimeout(r, 300));
    expect(replies).toEqual([]);
    expect(outcomes).toEqual([]);
    alice.say('@Bot whoami', [botUser]).to(room);
    await until(() => replies.length === 1, 'the room reply');
    expect(replies[0]).toMatch(/^alice \(root\)/);
  });

  it('gives an unknown user nothing, and refuses a user below the command’s tier', async () => {
    const { dave, carol, botUser, sentTo, bridge } = await setup();
    const toDave = sentTo(dave);
    const toCarol = sentTo(carol);
    const outcomes: DispatchOutcome[] = [];
    bridge.dispatcher.outcomes$.subscribe((o) => outcomes.push(o));
    dave.say('help').to(botUser);
    carol.say('users').to(botUser);
    await until(() => toCarol.length === 1 && outcomes.length === 2, 'both outcomes');
    expect(toDave).toEqual([]);
    expect(toCarol).toEqual(['"users" needs admin or above; you are user.']);
  });

  it('answers a burst of 200 messages completely and in per-chat order', async () => {
    const { alice, bob, botUser, room, sentTo } = await setup();
    const toAlice = sentTo(alice);
    const toBob = sentTo(bob);
    const toRoom = sentTo(room);
    const expected = { alice: [] as string[], bob: [] as string[], room: [] as string[] };
    for (let i = 0; i < 200; i++) {
      const text = `m${i}`;
      if (i % 3 === 0) {
        alice.say(`echo ${text}`).to(botUser);
        expected.alice.push(text);
      } else if (i % 3 === 1) {
        bob.say(`echo ${text}`).to(botUser);
        expected.bob.push(text);
      } else {
        alice.say(`@Bot echo ${text}`, [botUser]).to(room);
        expected.room.push(text);
      }
      // People do not type 200 messages in one tick; Wechaty reorders a same-tick burst (research notes §1).
      await new Promise((r) => setTimeout(r, 1));
    }
    await until(() => toAlice.length + toBob.length + toRoom.length === 200, 'all 200 replies', 20_000);
    expect(toAlice).toEqual(expected.alice);
    expect(toBob).toEqual(expected.bob);
    expect(toRoom).toEqual(expected.room);
  });

  it('never runs the bot’s own messages as commands', async () => {
    const { adapter, alice, bridge } = await setup();
    const outcomes: DispatchOutcome[] = [];
    bridge.dispatcher.outcomes$.subscribe((o) => outcomes.push(o));
    const contact = await adapter.wechaty!.Contact.find({ id: alice.id });
    await contact!.say('help');
    await contact!.say('quit');
    await new Promise((r) => setTimeout(r, 300));
    expect(outcomes).toEqual([]);
  });

  it('reports an unknown destination as a permanent failure without crashing', async () => {
    const { bridge } = await setup();
    const reports: string[] = [];
    bridge.outbox.deliveries$.subscribe((r) => r.final && reports.push(`${r.status}: ${r.reason}`));
    await bridge.outbox.enqueue({ to: { platform: 'wechat', kind: 'dm', id: 'nobody-here' }, text: 'hi' });
    await bridge.outbox.enqueue({ to: { platform: 'wechat', kind: 'group', id: 'no-room@chatroom' }, text: 'hi' });
    await until(() => reports.length === 2, 'two reports');
    expect(reports).toEqual(['failed: unknown WeChat contact "nobody-here"', 'failed: unknown WeChat room "no-room@chatroom"']);
  });

  it('lets the process exit on its own after stop()', () => {
    const fixture = new URL('./fixtures/exit-after-stop.mjs', import.meta.url).pathname;
    const run = spawnSync(process.execPath, [fixture], { encoding: 'utf8', timeout: 20_000 });
    expect(run.stdout).toContain('stopped');
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
  });
});
