import { afterEach, describe, expect, it } from 'vitest';
import { MemoryAuditLog, systemActor, type Bridge, type BridgeOptions, type CommandContext, type CommandSpec } from '@switchboard/core';
import { startBridge, until } from '../fixtures/harness.js';

let running: Bridge | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

interface Run {
  readonly by: string;
  readonly values: CommandContext['values'];
}

async function chat(commands: CommandSpec[], bridge: Partial<BridgeOptions> = {}) {
  const audit = new MemoryAuditLog();
  const h = await startBridge({ commands, bridge: { audit, limits: { userRate: 0 }, ...bridge } });
  running = h.bridge;
  const group = { platform: 'memory', kind: 'group' as const, id: 'lab' };
  const textsIn = (id: string) => h.adapter.textsTo(id);
  /** Send and wait for the next reply in that chat. */
  const say = async (from: string, text: string, where: 'dm' | 'group' = 'dm'): Promise<string> => {
    const id = where === 'dm' ? from : 'lab';
    const before = textsIn(id).length;
    h.adapter.inject({ from, text, ...(where === 'group' ? { chat: group } : {}) });
    await until(() => textsIn(id).length > before, `a reply to "${text}"`);
    return textsIn(id).at(-1)!;
  };
  return { ...h, audit, say };
}

function action(runs: Run[], extra: Partial<CommandSpec> = {}): CommandSpec {
  return {
    name: 'hatch',
    kind: 'control',
    minTier: 'user',
    description: 'open the hatch',
    run: async (ctx) => {
      runs.push({ by: ctx.caller.name, values: ctx.values });
      await ctx.reply('hatch: done');
    },
    ...extra,
  };
}

const code = (text: string): string => /yes (\d{4})/.exec(text)?.[1] ?? 'none';

describe('declared arguments', () => {
  it('refuses a value that does not fit with the reason and the usage, and runs nothing', async () => {
    const runs: Run[] = [];
    const { say } = await chat([
      action(runs, {
        name: 'setpoint',
        kind: 'set',
        args: [{ name: 'value', type: 'number', min: 5, max: 30 }],
      }),
      action(runs, { name: 'light', args: [{ name: 'state', enum: ['on', 'off'] }] }),
      action(runs, { name: 'reboot', args: [{ name: 'host', pattern: '[a-z0-9-]{1,32}' }] }),
    ]);
    expect(await say('carol', 'setpoint:31')).toBe('Value must be from 5 to 30 (got "31").\nUsage: setpoint <value:5..30>');
    expect(await say('carol', 'setpoint:1e3')).toMatch(/^Value must be a number/);
    expect(await say('carol', 'light dim')).toBe('State must be one of on, off (got "dim").\nUsage: light <state:on|off>');
    expect(await say('carol', 'light')).toBe('Missing state.\nUsage: light <state:on|off>');
    expect(await say('carol', 'light on off')).toMatch(/^Too many arguments/);
    for (const evil of ['a;rm', 'x$(id)', '../etc', "o'neil", '{{caller}}', 'UPPER']) {
      expect(await say('carol', `reboot ${evil}`)).toMatch(/^Host must match/);
    }
    expect(runs).toEqual([]);
    expect(await say('carol', 'set setpoint 21.5')).toBe('hatch: done');
    expect(await say('carol', 'light ON')).toBe('hatch: done');
    expect(runs.map((r) => r.values)).toEqual([{ value: 21.5 }, { state: 'on' }]);
  });
});

describe('confirmation', () => {
  it('runs only on the same person\'s code in the same chat', async () => {
    const runs: Run[] = [];
    const { say, adapter } = await chat([action(runs, { confirm: true })]);
    const ask = await say('carol', 'hatch', 'group');
    expect(ask).toMatch(/^Reply `yes \d{4}` within 60 s to run hatch\. Reply `no` to cancel\.$/);
    const c = code(ask);
    // Another person in the same group, with the right code: nothing waits for them.
    expect(await say('bob', `yes ${c}`, 'group')).toMatch(/^Nothing is waiting for your confirmation here/);
    // The same person in another chat: nothing waits there either.
    expect(await say('carol', `yes ${c}`)).toMatch(/^Nothing is waiting for your confirmation here/);
    expect(runs).toEqual([]);
    expect(await say('carol', `yes ${c}`, 'group')).toBe('hatch: done');
    expect(runs).toEqual([{ by: 'carol', values: {} }]);
    // The code is spent.
    expect(await say('carol', `yes ${c}`, 'group')).toMatch(/^Nothing is waiting/);
    expect(runs).toHaveLength(1);
    expect(adapter.textsTo('lab').filter((t) => t === 'hatch: done')).toHaveLength(1);
  });

  it('no, a wrong code and the timeout each cancel', async () => {
    const runs: Run[] = [];
    const { say, audit, adapter } = await chat([action(runs, { confirm: true })], { limits: { userRate: 0, confirmMs: 300 } });
    let ask = await say('carol', 'hatch');
    expect(await say('carol', 'no')).toBe('Cancelled: hatch was not run.');
    ask = await say('carol', 'hatch');
    const wrong = code(ask) === '1000' ? '1001' : '1000';
    expect(await say('carol', `yes ${wrong}`)).toMatch(/^That is not the code; hatch was cancelled/);
    // The right code after a wrong one does nothing: the request is gone.
    expect(await say('carol', `yes ${code(ask)}`)).toMatch(/^Nothing is waiting/);
    ask = await say('carol', 'hatch');
    expect(ask).toContain('within 300 ms');
    await until(() => adapter.textsTo('carol').at(-1) === 'hatch was not confirmed within 300 ms; nothing was run.', 'the expiry notice');
    expect(await say('carol', `yes ${code(ask)}`)).toMatch(/^Nothing is waiting/);
    expect(runs).toEqual([]);
    const outcomes = (await audit.latest()).map((e) => `${e.outcome}${e.detail ? ':' + e.detail : ''}`);
    expect(outcomes).toEqual(['confirm', 'cancelled:declined', 'confirm', 'cancelled:wrong code', 'confirm', 'cancelled:not confirmed in time']);
  });

  it('checks the tier again when the code comes back', async () => {
    const runs: Run[] = [];
    const { say, bridge } = await chat([action(runs, { confirm: true, minTier: 'admin' })]);
    const ask = await say('bob', 'hatch');
    await bridge.directory.setTier(systemActor('test'), 'bob', 'user');
    expect(await say('bob', `yes ${code(ask)}`)).toBe('"hatch" needs admin or above; you are user.');
    expect(runs).toEqual([]);
  });

  it('matches a model over random interleavings of requests and answers', async () => {
    const runs: Run[] = [];
    const { say } = await chat([action(runs, { confirm: true })]);
    let seed = 7;
    // mulberry32: small, and its low bits are as random as its high ones.
    const rand = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (((t ^ (t >>> 14)) >>> 0) % n);
    };
    // The model: per (person, chat), the code that waits, if any.
    const waiting = new Map<string, string>();
    let expected = 0;
    for (let step = 0; step < 150; step++) {
      const who = ['carol', 'bob'][rand(2)]!;
      const where = (['dm', 'group'] as const)[rand(2)]!;
      const key = `${who}/${where}`;
      const move = [0, 0, 0, 1, 2, 2, 3, 4][rand(8)]!;
      if (move === 0) {
        waiting.set(key, code(await say(who, 'hatch', where)));
      } else if (move === 1) {
        const reply = await say(who, 'no', where);
        expect(reply.startsWith('Cancelled')).toBe(waiting.delete(key));
      } else {
        // Their own code, someone else's (another person or chat), or a made-up one.
        const others = [...waiting].filter(([k]) => k !== key).map(([, c]) => c);
        const guess = move === 2 ? (waiting.get(key) ?? '0000') : move === 3 && others.length > 0 ? others[rand(others.length)]! : '0000';
        const reply = await say(who, `yes ${guess}`, where);
        const mine = waiting.get(key);
        if (mine === undefined) expect(reply).toMatch(/^Nothing is waiting/);
        else if (mine === guess) {
          expect(reply).toBe('hatch: done');
          expected++;
        } else expect(reply).toMatch(/^That is not the code/);
        waiting.delete(key);
      }
      expect(runs).toHaveLength(expected);
    }
    expect(expected).toBeGreaterThan(0);
  });
});

describe('cooldown and rate', () => {
  it('holds a command for everyone after a run, and each user to their rate', async () => {
    const runs: Run[] = [];
    const { say } = await chat([
      action(runs, { name: 'pump', cooldownMs: 60_000 }),
      action(runs, { name: 'ping', rate: { limit: 2, perMs: 60_000 } }),
    ]);
    expect(await say('carol', 'pump')).toBe('hatch: done');
    expect(await say('bob', 'pump')).toMatch(/^pump is cooling down; it can run again in (59|60|1m)/);
    expect(await say('carol', 'ping')).toBe('hatch: done');
    expect(await say('carol', 'ping')).toBe('hatch: done');
    expect(await say('carol', 'ping')).toMatch(/^ping has run as often as it may for now; it can run again in/);
    expect(await say('bob', 'ping')).toBe('hatch: done');
    expect(runs.map((r) => r.by)).toEqual(['carol', 'carol', 'carol', 'bob']);
  });
});

describe('guests', () => {
  it('never run a command that refuses guests, whatever the guest policy lists', async () => {
    const runs: Run[] = [];
    const { say } = await chat([action(runs, { guests: false }), action(runs, { name: 'hello', kind: 'get' })], {
      guest: { enabled: true, commands: ['help', 'hatch', 'hello'] },
    });
    expect(await say('mallory', 'hatch')).toBe('You are not registered here. Ask an admin to add you.');
    expect(await say('mallory', 'hello')).toBe('hatch: done');
    expect(runs.map((r) => r.by)).toEqual(['mallory']);
  });
});

describe('the audit trail', () => {
  it('records privileged acts and refusals with who, where and what came of them, secrets masked', async () => {
    const runs: Run[] = [];
    const { say, audit } = await chat([action(runs, { name: 'login', args: [{ name: 'user' }, { name: 'password', secret: true }] })]);
    expect(await say('bob', 'promote carol')).toBe('carol is now admin (was user).');
    expect(await say('carol', 'quit')).toBe('"quit" needs root or above; you are admin.');
    await say('carol', 'login bob hunter2');
    await say('carol', 'whoami');
    const entries = await audit.latest();
    expect(entries.map((e) => [e.actor, e.tier, e.command, e.args.join(' '), e.outcome])).toEqual([
      ['bob', 'admin', 'promote', 'carol', 'ok'],
      ['carol', 'admin', 'quit', '', 'refused'],
      ['carol', 'admin', 'login', 'bob [redacted]', 'ok'],
    ]);
    expect(entries[0]).toMatchObject({ identity: 'memory:bob', chat: 'memory:dm:bob', via: 'chat' });
    expect(Date.parse(entries[0]!.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(JSON.stringify(entries)).not.toContain('hunter2');
    const shown = await say('bob', 'audit 2');
    expect(shown.split('\n')).toHaveLength(3);
    expect(shown).toMatch(/^Latest 2 audit entries:\n.* carol \(admin, memory:carol\) quit → refused: needs root\n.* login bob \[redacted\] → ok$/);
    expect(await say('bob', 'audit bob')).toMatch(/^Latest 1 audit entry by bob:\n.* bob \(admin, memory:bob\) promote carol → ok$/);
    expect(await say('bob', 'audit 500')).toMatch(/^audit shows from 1 to 100 entries/);
    expect(await say('carol', 'audit')).toMatch(/^Latest 3 audit entries:/);
    // `audit` is not itself an act, and a user below admin cannot read it.
    await say('alice', 'demote carol user');
    expect(await say('carol', 'audit')).toBe('"audit" needs admin or above; you are user.');
  });
});
