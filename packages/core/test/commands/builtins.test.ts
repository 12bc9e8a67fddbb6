import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bridge } from '@switchboard/core';
import { replies, startBridge, until } from '../fixtures/harness.js';

let running: Bridge | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function chat() {
  const h = await startBridge();
  running = h.bridge;
  return { ...h, say: replies(h.adapter) };
}

describe('built-in commands', () => {
  it('help lists only what the caller may run', async () => {
    const { say } = await chat();
    const root = await say('alice', 'help');
    const user = await say('carol', 'help');
    for (const name of ['adduser', 'deluser', 'promote', 'demote', 'users', 'quit']) {
      expect(root).toContain(name);
      expect(user).not.toContain(name);
    }
    expect(user).toContain('whoami');
    expect(await say('carol', 'help promote')).toBe('No command "promote" that you may run.');
    expect(await say('alice', 'help promote')).toMatch(/promote <name> \[tier\]\n.*\nkind: control; needs: admin/);
  });

  it('whoami and users describe the directory', async () => {
    const { say } = await chat();
    expect(await say('bob', 'whoami')).toMatch(/^bob \(admin\)\nidentities: memory:bob/);
    expect(await say('bob', 'users')).toBe(
      '3 users:\nalice (root) — memory:alice\nbob (admin) — memory:bob\ncarol (user) — memory:carol',
    );
  });

  it('promote and demote step one tier and refuse what the rules forbid, with the reason', async () => {
    const { say, bridge } = await chat();
    expect(await say('bob', 'promote carol')).toBe('carol is now admin (was user).');
    // Her very next command runs with the new tier.
    expect(await say('carol', 'whoami')).toMatch(/^carol \(admin\)/);
    expect(await say('carol', 'help promote')).toMatch(/^promote <name> \[tier\]/);
    expect(await say('bob', 'demote carol')).toMatch(/You cannot change carol \(admin\)/);
    expect(await say('bob', 'promote bob')).toMatch(/You cannot change yourself/);
    expect(await say('alice', 'demote carol user')).toBe('carol is now user (was admin).');
    expect(await say('bob', 'promote carol root')).toMatch(/You cannot grant root: it is above your own tier \(admin\)/);
    expect(await say('alice', 'demote alice')).toMatch(/alice is the last root and cannot be demoted/);
    expect(await say('alice', 'promote alice')).toBe('alice is already root; there is no tier above.');
    expect(await say('alice', 'promote carol user')).toBe('carol is already user.');
    expect(await say('alice', 'promote nobody')).toBe('There is no user named nobody.');
    expect(await say('alice', 'promote')).toBe('Usage: promote <name> [tier]');
    expect(bridge.directory.get('carol')?.tier).toBe('user');
  });

  it('adduser and deluser follow the same rules', async () => {
    const { say, bridge } = await chat();
    expect(await say('bob', 'adduser dave user memory:dave qq:D1')).toBe('Added dave as user (memory:dave, qq:D1).');
    expect(await say('dave', 'whoami')).toMatch(/^dave \(user\)/);
    expect(await say('bob', 'adduser eve root')).toMatch(/cannot grant root/);
    expect(await say('bob', 'adduser eve user nonsense')).toMatch(/"nonsense" is not an identity/);
    expect(await say('bob', 'adduser eve wizard')).toBe('"wizard" is not a tier; use root, admin or user.');
    expect(await say('bob', 'deluser alice')).toMatch(/You cannot change alice \(root\)/);
    expect(await say('bob', 'deluser dave')).toBe('Removed dave (user).');
    expect(bridge.directory.get('dave')).toBeUndefined();
  });

  it('quit is root-only and drains the outbox before the bridge stops', async () => {
    const { say, adapter, bridge } = await chat();
    expect(await say('bob', 'quit')).toBe('"quit" needs root or above; you are admin.');
    const stopped = firstValueFrom(bridge.stopped$);
    adapter.inject({ from: 'alice', text: 'quit' });
    expect(await stopped).toBe('quit by alice');
    expect(adapter.textsTo('alice').at(-1)).toMatch(/^Shutting down/);
    expect(bridge.outbox.size).toBe(0);
    running = undefined;
  });
});

describe('identities stay out of groups', () => {
  it('lists users without their platform ids in a group, and with them in a direct chat', async () => {
    const { bridge, adapter } = await startBridge({
      bridge: {
        users: [
          { name: 'root1', tier: 'root', identities: [{ platform: 'memory', id: 'ROOT-OPENID' }] },
          { name: 'uma', tier: 'user', identities: [{ platform: 'memory', id: 'UMA-OPENID' }] },
        ],
      },
    });
    const group = { platform: 'memory', kind: 'group' as const, id: 'G' };
    adapter.inject({ from: 'ROOT-OPENID', text: 'users', chat: group });
    adapter.inject({ from: 'ROOT-OPENID', text: 'whoami', chat: group });
    await until(() => adapter.textsTo('G').length === 2, 'two answers in the group');
    for (const text of adapter.textsTo('G')) expect(text).not.toMatch(/OPENID/);
    adapter.inject({ from: 'ROOT-OPENID', text: 'users' });
    await until(() => adapter.textsTo('ROOT-OPENID').length === 1, 'the direct answer');
    expect(adapter.textsTo('ROOT-OPENID')[0]).toContain('memory:UMA-OPENID');
    await bridge.stop();
  });
});
