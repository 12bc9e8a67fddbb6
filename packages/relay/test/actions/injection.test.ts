import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '@switchboard/core/testing';
import { FakeHomeAssistant } from '@switchboard/relay/testing';
import { actionBridge, httpServer, labFeed, useActionFixtures } from '../fixtures/actions.js';
import { mqttBroker } from '../fixtures/broker.js';

// An attacker's argument: quotes, a command separator, a command substitution, a backtick, a path
// step and a template of its own. Each kind must carry it as data, exactly as typed, or refuse it.
const Evil = `a"b'c;d$(touch${'\u0020'}pwned)e\`id\`../f{{caller}}g`;
const note = { name: 'note', rest: true };
/** The same, as one word (for arguments that are not the rest of the line). */
const EvilWord = Evil.replace(' ', '');

const fixtures = useActionFixtures();

describe('values are data, never code', () => {
  it('homeassistant: JSON in the service data; the service name refuses what is not a service', async () => {
    const ha = new FakeHomeAssistant('t0ken-1234567890');
    await ha.start();
    try {
      const { say } = await actionBridge({
        feeds: [{ type: 'homeassistant', name: 'home', url: ha.url, token: 't0ken-1234567890' }],
        actions: [
          { command: 'tell', minTier: 'user', args: [note], do: { homeassistant: { feed: 'home', service: 'script.turn_on', data: { entity_id: 'script.say', variables: { text: '{{note}}' } } } } },
          { command: 'svc', minTier: 'user', args: [{ name: 'name' }], do: { homeassistant: { feed: 'home', service: 'light.{{name}}' } } },
        ],
      });
      expect(await say('carol', `tell ${Evil}`)).toBe('tell: Home Assistant ran script.turn_on.');
      expect(ha.calls[0]!.service_data).toEqual({ entity_id: 'script.say', variables: { text: Evil } });
      expect(await say('carol', 'svc turn_on","service":"unlock')).toMatch(/^svc failed: "light\.turn_on","service":"unlock" is not a Home Assistant service/);
      expect(await say('carol', 'svc turn_on.x')).toMatch(/is not a Home Assistant service/);
      expect(ha.calls).toHaveLength(1);
    } finally {
      await ha.close();
    }
  });

  it('mqtt: JSON in the payload; a value cannot add topic levels or wildcards', async () => {
    const broker = await mqttBroker();
    try {
      const { say } = await actionBridge({
        feeds: [{ type: 'mqtt', name: 'zigbee', url: broker.url, subscriptions: [{ filter: 'state/#' }] }],
        actions: [{ command: 'say', minTier: 'user', args: [{ name: 'room' }, note], do: { mqtt: { feed: 'zigbee', topic: 'cmd/{{room}}/say', payload: { text: '{{note}}', by: '{{caller}}' } } } }],
      });
      expect(await say('carol', `say lab ${Evil}`)).toBe('say: published to cmd/lab/say; the broker acknowledged it (PUBACK).');
      expect(JSON.parse(broker.published[0]!.payload)).toEqual({ text: Evil, by: 'carol' });
      for (const room of ['../lab', 'a/b', '#', '+']) expect(await say('carol', `say ${room} hi`)).toMatch(/^say failed: room cannot hold "\/", "\+" or "#"/);
      expect(broker.published).toHaveLength(1);
    } finally {
      await broker.close();
    }
  });

  it('http: percent-encoded in the URL, JSON in the body; a path step is refused', async () => {
    const server = await httpServer();
    try {
      const { say } = await actionBridge({
        actions: [
          { command: 'page', minTier: 'user', args: [{ name: 'who' }, note], do: { http: { url: `${server.url}/page/{{who}}?src=chat`, headers: { 'X-By': '{{caller}}' }, body: { text: '{{note}}' } } } },
        ],
      });
      expect(await say('carol', `page ${EvilWord} ${Evil}`)).toBe('page: HTTP 200\ndone');
      const got = server.received[0]!;
      expect(got.url).toBe(`/page/${encodeURIComponent(EvilWord)}?src=chat`);
      expect(decodeURIComponent(got.url.slice('/page/'.length, got.url.indexOf('?')))).toBe(EvilWord);
      expect(JSON.parse(got.body)).toEqual({ text: Evil });
      expect(got.headers['x-by']).toBe('carol');
      for (const who of ['..', '.']) expect(await say('carol', `page ${who} x`)).toMatch(/^page failed: who cannot be "\.{1,2}" in a URL/);
      expect(await say('carol', 'page ?admin=1#x y')).toBe('page: HTTP 200\ndone');
      expect(server.received[1]!.url).toBe('/page/%3Fadmin%3D1%23x?src=chat');
      expect(server.received).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it('exec: one argv entry each, never a shell; a value cannot pass as an option', async () => {
    const { say } = await actionBridge({
      actions: [{ command: 'run', minTier: 'user', args: [note], do: { exec: { argv: [process.execPath, 'argv.mjs', '--note', '{{note}}', 'x{{note}}'], cwd: fixtures.dir } } }],
    });
    const reply = await say('carol', `run ${Evil}`);
    expect(reply.split('\n')[0]).toBe('run: exit 0');
    expect((JSON.parse(reply.split('\n').at(-1)!) as { argv: string[] }).argv).toEqual(['--note', Evil, `x${Evil}`]);
    expect(existsSync(`${fixtures.dir}/pwned`)).toBe(false);
    expect((await readdir(fixtures.dir)).sort()).toEqual(['argv.mjs', 'exit.mjs', 'sleep.mjs']);
    expect(await say('carol', 'run --eval=process.exit(9)')).toBe('run failed: note cannot start with "-" where it would be read as an option');
  });

  it('websocket: JSON in the frame, the template inside a value left as text', async () => {
    const lab = await labFeed();
    try {
      const { say } = await actionBridge({
        feeds: [{ type: 'websocket', name: 'lab', url: lab.url }],
        actions: [{ command: 'label', minTier: 'user', args: [note], do: { websocket: { feed: 'lab', frame: { op: 'label', device: 'thermo-1', text: '{{note}}', shown: 'note: {{note}}' } } } }],
      });
      expect(await say('carol', `label ${Evil}`)).toBe('label: sent to lab.');
      await waitUntil(() => lab.frames.length === 1, 'the frame');
      expect(lab.frames[0]).toEqual({ op: 'label', device: 'thermo-1', text: Evil, shown: `note: ${Evil}` });
    } finally {
      await lab.close();
    }
  });

  it('newlines and control characters never reach an action', async () => {
    const server = await httpServer();
    try {
      const { say } = await actionBridge({ actions: [{ command: 'one', minTier: 'user', args: [{ name: 'word' }], do: { http: { url: `${server.url}/{{word}}` } } }] });
      expect(await say('carol', 'one a\nb')).toBe('Too many arguments: takes at most 1, got 2.\nUsage: one <word>');
      expect(await say('carol', 'one a\u0007b')).toBe('Word holds a control character.\nUsage: one <word>');
      expect(await say('carol', 'one a\u202eb')).toBe('Word holds a control character.\nUsage: one <word>');
      expect(server.received).toHaveLength(0);
    } finally {
      await server.close();
    }
  });
});
