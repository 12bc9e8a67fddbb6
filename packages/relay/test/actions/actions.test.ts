import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { definePlugin, systemActor } from '@switchboard/core';
import { waitUntil } from '@switchboard/core/testing';
import { defineActionKind, RelayConfigSchema } from '@switchboard/relay';
import { FakeHomeAssistant } from '@switchboard/relay/testing';
import { z } from 'zod';
import { actionBridge, httpServer, labFeed, stopAll, useActionFixtures } from '../fixtures/actions.js';
import { mqttBroker } from '../fixtures/broker.js';

const fixtures = useActionFixtures();

describe('homeassistant actions', () => {
  it('call a service over the feed connection, and tell Home Assistant\'s refusal as it is', async () => {
    const ha = new FakeHomeAssistant('t0ken-1234567890');
    await ha.start();
    try {
      const { say, audit, relay } = await actionBridge({
        feeds: [{ type: 'homeassistant', name: 'home', url: ha.url, token: 't0ken-1234567890' }],
        actions: [
          { command: 'light', minTier: 'user', args: [{ name: 'state', enum: ['on', 'off'] }], do: { homeassistant: { feed: 'home', service: 'light.turn_{{state}}', data: { entity_id: 'light.lab' } } } },
          { command: 'boom', do: { homeassistant: { feed: 'home', service: 'light.explode' } } },
        ],
      });
      expect(await say('carol', 'light on')).toBe('light: Home Assistant ran light.turn_on.');
      expect(ha.calls).toEqual([{ domain: 'light', service: 'turn_on', service_data: { entity_id: 'light.lab' } }]);
      expect(ha.states.get('light.lab')?.state).toBe('on');
      // One connection: the call went over the feed's own socket.
      expect(ha.connections).toBe(1);
      expect(await say('carol', 'light dim')).toBe('State must be one of on, off (got "dim").\nUsage: light <state:on|off>');
      expect(await say('bob', 'boom')).toBe('boom failed: Home Assistant refused light.explode: Service light.explode not found.');
      expect(ha.calls).toHaveLength(1);
      const entries = await audit.latest();
      // An action is on record before it runs (started), then with what came of it.
      expect(entries.map((e) => `${e.actor} ${e.command} ${e.args.join(' ')} ${e.outcome}`)).toEqual(['carol light on started', 'carol light on ok', 'carol light dim usage', 'bob boom  started', 'bob boom  error']);
      expect(entries[4]!.detail).toContain('Service light.explode not found');
      // Down: told at once, nothing queued for later.
      await ha.close();
      await waitUntil(() => relay.context!.sources[0]!.stats().state !== 'connected', 'the feed down');
      const started = Date.now();
      expect(await say('carol', 'light off')).toMatch(/^light failed: feed home is reconnecting/);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(ha.calls).toHaveLength(1);
    } finally {
      await ha.close().catch(() => undefined);
    }
  });
});

describe('mqtt actions', () => {
  it('publish over the feed client with the QoS and retain of the action, and answer after the PUBACK', async () => {
    const broker = await mqttBroker();
    try {
      const { say, confirm, relay } = await actionBridge({
        feeds: [{ type: 'mqtt', name: 'zigbee', url: broker.url, subscriptions: [{ filter: 'state/#' }] }],
        actions: [
          { command: 'hatch', minTier: 'admin', confirm: true, do: { mqtt: { feed: 'zigbee', topic: 'cmd/hatcher', payload: { start: true }, qos: 1 } } },
          { command: 'beacon', minTier: 'user', args: [{ name: 'room', pattern: '[a-z0-9-]{1,20}' }], do: { mqtt: { feed: 'zigbee', topic: 'cmd/{{room}}/beacon', payload: 'on', qos: 0, retain: true } } },
        ],
      });
      expect(await say('carol', 'hatch')).toBe('"hatch" needs admin or above; you are user.');
      expect(await say('bob', 'hatch now')).toBe('It takes no arguments (got 1).\nUsage: hatch');
      expect(await confirm('bob', 'hatch')).toBe('hatch: published to cmd/hatcher; the broker acknowledged it (PUBACK).');
      expect(broker.published).toEqual([{ topic: 'cmd/hatcher', payload: '{"start":true}', qos: 1, retain: false }]);
      expect(await say('carol', 'beacon lab-2')).toBe('beacon: published to cmd/lab-2/beacon (retained); QoS 0: the broker does not acknowledge.');
      await waitUntil(() => broker.published.length === 2, 'the QoS 0 publish at the broker');
      expect(broker.published[1]).toEqual({ topic: 'cmd/lab-2/beacon', payload: 'on', qos: 0, retain: true });
      await broker.close();
      await waitUntil(() => relay.context!.sources[0]!.stats().state !== 'connected', 'the feed down');
      expect(await say('carol', 'beacon lab-2')).toMatch(/^beacon failed: feed zigbee is reconnecting/);
    } finally {
      await broker.close().catch(() => undefined);
    }
  });
});

describe('http actions', () => {
  it('send the request through undici and answer with the status and a short body', async () => {
    const server = await httpServer();
    try {
      const { say } = await actionBridge({
        actions: [
          {
            command: 'reboot',
            args: [{ name: 'host', pattern: '^[a-z0-9-]{1,32}$' }],
            do: { http: { method: 'POST', url: `${server.url}/reboot/{{host}}`, headers: { Authorization: 'Bearer s3cret-token-value' }, body: { by: '{{caller}}' } } },
          },
          { command: 'busy', do: { http: { method: 'GET', url: `${server.url}/fail` } } },
          { command: 'big', do: { http: { method: 'GET', url: `${server.url}/big` } } },
        ],
      });
      expect(await say('bob', 'reboot web-1')).toBe('reboot: HTTP 200\ndone');
      expect(server.received[0]).toMatchObject({ method: 'POST', url: '/reboot/web-1', body: '{"by":"bob"}' });
      expect(server.received[0]!.headers).toMatchObject({ authorization: 'Bearer s3cret-token-value', 'content-type': 'application/json' });
      expect(await say('bob', 'reboot WEB;1')).toMatch(/^Host must match/);
      expect(server.received).toHaveLength(1);
      expect(await say('bob', 'busy')).toBe('busy failed: HTTP 503\nbusy: try later');
      const big = await say('bob', 'big');
      expect(big.startsWith('big: HTTP 200\nxxx')).toBe(true);
      expect(big.length).toBeLessThan(400);
    } finally {
      await server.close();
    }
  });
});

describe('exec actions', () => {
  it('run the program without a shell, with only the env given, and answer with the exit code and the last lines', async () => {
    const { say } = await actionBridge({
      actions: [
        { command: 'deploy', args: [{ name: 'env', enum: ['staging', 'prod'] }], do: { exec: { argv: [process.execPath, 'argv.mjs', '{{env}}'], cwd: fixtures.dir, env: { TARGET: '{{env}}' } } } },
        { command: 'fail', do: { exec: { argv: [process.execPath, join(fixtures.dir, 'exit.mjs'), '3'] } } },
        { command: 'hang', do: { exec: { argv: [process.execPath, join(fixtures.dir, 'sleep.mjs')], timeout: '500ms' } } },
        { command: 'missing', do: { exec: { argv: ['/nonexistent/program'] } } },
      ],
    });
    process.env.SWITCHBOARD_TEST_SECRET = 'must-not-leak';
    const reply = await say('bob', 'deploy staging');
    delete process.env.SWITCHBOARD_TEST_SECRET;
    expect(reply.split('\n')[0]).toBe('deploy: exit 0');
    const printed = JSON.parse(reply.split('\n').at(-1)!) as { argv: string[]; env: string[]; cwd: string };
    expect(printed.argv).toEqual(['staging']);
    expect(printed.env.filter((k) => !k.startsWith('__CF') && k !== 'PWD' && k !== 'SHLVL' && k !== '_')).toEqual(['PATH', 'TARGET']);
    expect(printed.cwd).toBe(fixtures.dir);
    const failed = await say('bob', 'fail');
    expect(failed.split('\n')[0]).toBe('fail failed: exit 3');
    // The last lines only, stderr with them.
    expect(failed.split('\n')).toHaveLength(11);
    expect(failed).toContain('it broke');
    expect(failed).not.toContain('step 5\n');
    const started = Date.now();
    expect(await say('bob', 'hang')).toBe('hang failed: killed after 1 s (still running at the timeout)\nstarted');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await say('bob', 'missing')).toMatch(/^missing failed: could not run \/nonexistent\/program: spawn \/nonexistent\/program ENOENT/);
  });
});

describe('websocket actions', () => {
  it('send a frame on the feed socket, typed values and all, and wait for the acknowledgement when asked to', async () => {
    const lab = await labFeed();
    try {
      const { say, relay } = await actionBridge({
        feeds: [{ type: 'websocket', name: 'lab', url: lab.url }],
        actions: [
          {
            command: 'setpoint',
            minTier: 'user',
            kind: 'set',
            args: [{ name: 'value', type: 'number', min: 5, max: 30 }],
            do: { websocket: { feed: 'lab', frame: { op: 'set', device: 'thermo-1', value: '{{value}}' }, expect: { op: 'ack', device: 'thermo-1', value: '{{value}}' }, timeout: '1s' } },
          },
          { command: 'blink', minTier: 'user', do: { websocket: { feed: 'lab', frame: { op: 'blink', by: '{{caller}}', at: '{{now}}' } } } },
        ],
      });
      expect(await say('carol', 'setpoint:21.5')).toBe('setpoint: lab acknowledged: {"op":"ack","device":"thermo-1","value":21.5}');
      expect(lab.frames[0]).toEqual({ op: 'set', device: 'thermo-1', value: 21.5 });
      expect(await say('carol', 'set setpoint 40')).toBe('Value must be from 5 to 30 (got "40").\nUsage: setpoint <value:5..30>');
      expect(await say('carol', 'blink')).toBe('blink: sent to lab.');
      await waitUntil(() => lab.frames.length === 2, 'the blink frame');
      expect(lab.frames[1]).toMatchObject({ op: 'blink', by: 'carol' });
      expect(Date.parse(String(lab.frames[1]!.at))).toBeGreaterThan(Date.now() - 60_000);
      lab.state.silent = true;
      expect(await say('carol', 'setpoint:22')).toBe('setpoint failed: no acknowledgement from lab within 1 s');
      await lab.close();
      await waitUntil(() => relay.context!.sources[0]!.stats().state !== 'connected', 'the feed down');
      const before = lab.frames.length;
      expect(await say('carol', 'blink')).toMatch(/^blink failed: feed lab is reconnecting \(.*\); nothing was sent$/);
      expect(lab.frames).toHaveLength(before);
    } finally {
      await lab.close().catch(() => undefined);
    }
  });
});

describe('actions in the caller\'s language', () => {
  it('answer a Chinese reader in Chinese, down feeds included', async () => {
    const lab = await labFeed();
    try {
      const { say, relay, bridge } = await actionBridge({
        feeds: [{ type: 'websocket', name: 'lab', url: lab.url }],
        actions: [{ command: 'blink', minTier: 'user', aliases: ['闪灯'], do: { websocket: { feed: 'lab', frame: { op: 'blink' } } } }],
      });
      await bridge.directory.setLocale(systemActor('test'), 'carol', 'zh-CN');
      expect(await say('carol', '闪灯')).toBe('blink：已发送到 lab。');
      expect(await say('bob', 'blink')).toBe('blink: sent to lab.');
      await lab.close();
      await waitUntil(() => relay.context!.sources[0]!.stats().state !== 'connected', 'the feed down');
      expect(await say('carol', 'blink')).toMatch(/^blink 失败：数据源 lab 当前为 reconnecting（?.*；未发送任何内容$/);
    } finally {
      await lab.close().catch(() => undefined);
    }
  });
});

describe('safety', () => {
  it('guests never run an action, whatever the guest policy lists', async () => {
    const { say } = await actionBridge(
      { actions: [{ command: 'deploy', minTier: 'user', do: { exec: { argv: [process.execPath, '-e', 'require("fs").writeFileSync("ran", "")'], cwd: fixtures.dir } } }] },
      { bridge: { guest: { enabled: true, commands: ['help', 'deploy'] } } },
    );
    expect(await say('mallory', 'deploy')).toBe('You are not registered here. Ask an admin to add you.');
    expect(existsSync(join(fixtures.dir, 'ran'))).toBe(false);
    expect(await say('carol', 'deploy')).toBe('deploy: exit 0');
    expect(existsSync(join(fixtures.dir, 'ran'))).toBe(true);
  });

  it('a cooldown and a per-user rate hold an action', async () => {
    const server = await httpServer();
    try {
      const { say } = await actionBridge({
        actions: [
          { command: 'kick', minTier: 'user', cooldown: '1m', do: { http: { url: `${server.url}/kick` } } },
          { command: 'poke', minTier: 'user', rate: { limit: 1, per: '1h' }, do: { http: { url: `${server.url}/poke` } } },
        ],
      });
      expect(await say('carol', 'kick')).toBe('kick: HTTP 200\ndone');
      expect(await say('bob', 'kick')).toMatch(/^kick is cooling down; it can run again in/);
      expect(await say('carol', 'poke')).toBe('poke: HTTP 200\ndone');
      expect(await say('carol', 'poke')).toMatch(/^poke has run as often as it may for now; it can run again in 1h/);
      expect(await say('bob', 'poke')).toBe('poke: HTTP 200\ndone');
      expect(server.received.map((r) => r.url)).toEqual(['/kick', '/poke', '/poke']);
    } finally {
      await server.close();
    }
  });
});

describe('config checks', () => {
  const issues = (sections: Record<string, unknown>): string[] => {
    const parsed = RelayConfigSchema.safeParse(sections);
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('names an action whose feed is missing or of the wrong type, or whose template uses what is not declared', () => {
    const feeds = [{ type: 'websocket', name: 'lab', url: 'ws://127.0.0.1:1' }];
    expect(
      issues({
        feeds,
        actions: [
          { command: 'a', do: { mqtt: { feed: 'lab', topic: 't' } } },
          { command: 'b', do: { homeassistant: { feed: 'nowhere', service: 'light.turn_on' } } },
          { command: 'c', args: [{ name: 'x' }], do: { websocket: { feed: 'lab', frame: { v: '{{x}}', w: '{{y}}', by: '{{caller}}' } } } },
          { command: 'd', do: { http: { url: 'ftp://x' } } },
          { command: 'e', do: { exec: { argv: ['{{x}}'] } } },
          { command: 'f', do: { http: { url: 'http://x' }, exec: { argv: ['x'] } } },
          { command: 'a', do: { exec: { argv: ['x'] } } },
        ],
      }),
    ).toEqual([
      'actions.5.do: give exactly one of homeassistant, mqtt, http, exec, websocket (or a kind a plugin adds)',
      'actions.6.command: "a" is also actions.0',
      'actions.0.do.mqtt.feed: feed "lab" is a websocket feed; mqtt actions need a mqtt feed',
      'actions.1.do.homeassistant.feed: no feed named "nowhere" (feeds: lab)',
      'actions.2.do.websocket: templates use {{y}}, which is not a declared argument (args: x) nor caller, chat or now',
      'actions.3.do.http.url: must be an http:// or https:// URL',
      'actions.4.do.exec.argv.0: the program (argv[0]) cannot be a template',
      'actions.4.do.exec: templates use {{x}}, which is not a declared argument (args: none) nor caller, chat or now',
    ]);
  });

  it('lets a plugin add a do: kind, checked by its own schema when the relay starts', async () => {
    const seen: unknown[] = [];
    const echo = defineActionKind({
      schema: z.object({ text: z.string() }).strict(),
      prepare: (config) => ({
        perform: ({ vars }) => {
          seen.push(vars);
          return Promise.resolve(`echo ${config.text.replace('{{word}}', String(vars.word))}`);
        },
      }),
    });
    const plugin = definePlugin({ name: 'echo-kind', apply: (ctx) => void ctx.action('echo', echo) });
    const { say } = await actionBridge({ actions: [{ command: 'shout', minTier: 'user', args: [{ name: 'word' }], do: { echo: { text: 'said {{word}}' } } }] }, { plugins: [plugin] });
    expect(await say('carol', 'shout hi')).toBe('shout: echo said hi');
    expect(seen).toMatchObject([{ word: 'hi', caller: 'carol', chat: 'memory:dm:carol' }]);
    await stopAll();
    await expect(actionBridge({ actions: [{ command: 'shout', do: { echo: { txt: 'x' } } }] }, { plugins: [plugin] })).rejects.toThrow(/actions\.0\.do\.echo: Unrecognized key/);
    await expect(actionBridge({ actions: [{ command: 'shout', do: { nothing: {} } }] })).rejects.toThrow(/actions\.0\.do\.nothing: no action kind "nothing"/);
  });
});
