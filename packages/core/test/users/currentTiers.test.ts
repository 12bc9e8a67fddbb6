import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertMayChange, assertMayGrant, type DirectoryChange, type Tier, type User } from '@switchboard/core';
import { waitUntil as until } from '@switchboard/core/testing';
import { memoryUser, startBridge } from '../fixtures/harness.js';

/** Every decision must hold against the actor's tier as stored when the change was made. */
function permitted(model: Map<string, Tier>, change: DirectoryChange): string | undefined {
  const tier = model.get(change.by);
  if (tier === undefined) return `${change.by} acted while not in the directory`;
  const actor = { name: change.by, tier, identities: [], subscriptions: [], createdAt: 0 } as User;
  try {
    if (change.type === 'tier') {
      assertMayChange(actor, { ...change.user, tier: change.from });
      assertMayGrant(actor, change.user.tier);
    } else if (change.type === 'removed') {
      assertMayChange(actor, change.user);
    } else if (change.type === 'added') {
      assertMayGrant(actor, change.user.tier);
    }
  } catch (error) {
    return `${change.by} (${tier}) was allowed ${change.type} ${change.user.name}: ${(error as Error).message}`;
  }
  return undefined;
}

const people = ['root1', 'ada', 'bob', 'carol', 'uma'] as const;
const command = fc.record({
  from: fc.constantFrom(...people),
  text: fc.oneof(
    fc.constantFrom(...people).map((p) => `promote ${p}`),
    fc.constantFrom(...people).map((p) => `promote ${p} admin`),
    fc.constantFrom(...people).map((p) => `demote ${p}`),
    fc.constantFrom(...people).map((p) => `demote ${p} user`),
    fc.constantFrom('ada', 'bob', 'carol', 'uma').map((p) => `deluser ${p}`),
    fc.constantFrom(...people).map((p) => `adduser new_${p} admin`),
  ),
});

describe('decisions use the tier stored at that moment', () => {
  it('a demoted admin’s queued promote no longer goes through', async () => {
    // Root's demote and bob's promote race; whichever the directory takes first decides.
    const { bridge, adapter } = await startBridge({
      bridge: { users: [memoryUser('root1', 'root'), memoryUser('bob', 'admin'), memoryUser('carol', 'user')] },
    });
    let slow!: () => void;
    const gate = new Promise<void>((r) => (slow = r));
    // Bob's lane is busy with a slow command while root demotes him.
    bridge.registry.register({ name: 'slow', kind: 'get', minTier: 'user', description: 'slow', run: async (ctx) => { await gate; await ctx.reply('done'); } });
    adapter.inject({ from: 'bob', text: 'slow' });
    adapter.inject({ from: 'bob', text: 'promote carol admin' });
    adapter.inject({ from: 'root1', text: 'demote bob' });
    await until(() => bridge.directory.get('bob')!.tier === 'user', 'bob demoted');
    slow();
    await until(() => adapter.textsTo('bob').length === 2, 'bob’s answers');
    expect(bridge.directory.get('carol')!.tier).toBe('user');
    expect(adapter.textsTo('bob')[1]).toBe('"promote" needs admin or above; you are user.');
    await bridge.stop();
  });

  it('random concurrent promote, demote, remove and add: no accepted change the actor’s current tier forbids (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 30 }), async (commands) => {
        const { bridge, adapter } = await startBridge({
          bridge: {
            users: [memoryUser('root1', 'root'), memoryUser('ada', 'admin'), memoryUser('bob', 'admin'), memoryUser('carol', 'user'), memoryUser('uma', 'user')],
          },
        });
        const model = new Map<string, Tier>(bridge.directory.list().map((u) => [u.name, u.tier]));
        const violations: string[] = [];
        bridge.directory.changes$.subscribe((change) => {
          if (change.type === 'seen' || change.by === 'config') return;
          const wrong = permitted(model, change);
          if (wrong) violations.push(wrong);
          if (change.type === 'tier' || change.type === 'added') model.set(change.user.name, change.user.tier);
          if (change.type === 'removed') model.delete(change.user.name);
        });
        for (const { from, text } of commands) adapter.inject({ from, text });
        await until(() => bridge.dispatcher.pending === 0, 'every command handled', 5000);
        await bridge.stop();
        expect(violations).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});
