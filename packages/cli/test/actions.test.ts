import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const bin = new URL('../dist/bin.js', import.meta.url).pathname;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-cli-actions-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function cli(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, REBOOT_TOKEN: 'tok-9f8e7d6c5b4a3210' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

async function config(lines: string[]): Promise<string> {
  const file = join(dir, 'switchboard.yaml');
  const head = ['dataDir: ./data', 'logLevel: warn', 'adapters:', '  console: { user: alice }', 'users:', '  - { name: alice, tier: root, identities: [console:alice] }'];
  await writeFile(file, [...head, ...lines].join('\n') + '\n');
  return file;
}

const feeds = ['feeds:', '  - { name: lab, type: websocket, url: "ws://127.0.0.1:9" }', '  - { name: zigbee, type: mqtt, url: "mqtt://127.0.0.1:9", subscriptions: [{ filter: "z/#" }] }'];

describe('switchboard check and actions', () => {
  it('lists every action with its kind, feed and safeguards, secrets masked', async () => {
    const file = await config([
      ...feeds,
      'actions:',
      '  - { command: hatch, minTier: admin, confirm: true, cooldown: 30s, do: { mqtt: { feed: zigbee, topic: cmd/hatcher, payload: { start: true }, qos: 1 } } }',
      '  - command: reboot',
      '    rate: { limit: 2, per: 1h }',
      '    args: [{ name: host, pattern: "^[a-z0-9-]{1,32}$" }]',
      '    do: { http: { method: POST, url: "http://127.0.0.1:9000/reboot/{{host}}", headers: { Authorization: "Bearer ${REBOOT_TOKEN}" }, body: { by: "{{caller}}" } } }',
    ]);
    const run = await cli(['check', '-c', file]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('actions (2):\n  hatch(admin) → mqtt on zigbee; confirm, cooldown 30s\n  reboot(admin) → http; args host, rate 2/1h\n');
    expect(run.stdout + run.stderr).not.toContain('tok-9f8e7d6c5b4a3210');
  });

  it('exits 2 naming an action on a missing or wrong feed, an undeclared template field, or a kind no plugin brings', async () => {
    const file = await config([
      ...feeds,
      'actions:',
      '  - { command: a, do: { homeassistant: { feed: lab, service: light.turn_on } } }',
      '  - { command: b, do: { websocket: { feed: gone, frame: { x: 1 } } } }',
      '  - { command: c, args: [{ name: v, type: number }], do: { websocket: { feed: lab, frame: { v: "{{v}}", u: "{{user}}" } } } }',
    ]);
    const run = await cli(['check', '-c', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('actions.0.do.homeassistant.feed: feed "lab" is a websocket feed; homeassistant actions need a homeassistant feed');
    expect(run.stderr).toContain('actions.1.do.websocket.feed: no feed named "gone" (feeds: lab, zigbee)');
    expect(run.stderr).toContain('actions.2.do.websocket: templates use {{user}}, which is not a declared argument (args: v) nor caller, chat or now');
    const unknown = await cli(['check', '-c', await config([...feeds, 'actions:', '  - { command: a, do: { teleport: { to: mars } } }'])]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('actions.0.do.teleport: no action kind "teleport" (known: homeassistant, mqtt, http, exec, websocket); a plugin adds one with ctx.action');
  });

  it('switchboard audit prints what was done, from chat and from the shell', async () => {
    const file = await config([]);
    expect((await cli(['users', 'add', 'bob', 'admin', 'console:bob', '-c', file])).code).toBe(0);
    expect((await cli(['users', 'remove', 'alice', '-c', file])).code).toBe(1);
    const session = await cli(['start', '-c', file], 'promote bob\naudit 1\nquit\n');
    expect(session.code).toBe(0);
    expect(session.stdout).toMatch(/Latest 1 audit entry:\n.* alice \(root, console:alice\) promote bob → ok/);
    const shown = await cli(['audit', '-c', file]);
    expect(shown.code).toBe(0);
    const lines = shown.stdout.trim().split('\n');
    expect(lines.map((l) => l.replace(/^\S+ \S+ /, ''))).toEqual([
      'shell (shell) users add bob admin console:bob → ok',
      'shell (shell) users remove alice → refused: alice is the last root and cannot be removed; make someone else root first',
      'alice (root, console:alice) promote bob → ok',
      'alice (root, console:alice) quit → ok',
    ]);
    expect((await cli(['audit', '-c', file, '-n', '1', '--user', 'shell'])).stdout).toMatch(/users remove alice → refused/);
    expect((await cli(['audit', '-c', file, '-n', 'x'])).code).toBe(64);
  });

  it('an action killed mid-run with the bridge is still on record, as started', async () => {
    // Ends on its own: a child outlives a bridge killed with SIGKILL.
    await writeFile(join(dir, 'slow.mjs'), 'console.log("working"); setTimeout(() => process.exit(0), 3000);\n');
    const file = await config(['actions:', `  - { command: slow, minTier: root, do: { exec: { argv: ["${process.execPath}", "slow.mjs"], timeout: 30s } } }`]);
    const child = spawn(process.execPath, [bin, 'start', '-c', file], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.write('slow\n');
    const auditFile = join(dir, 'data', 'audit.jsonl');
    const deadline = Date.now() + 10_000;
    for (;;) {
      const text = await readFile(auditFile, 'utf8').catch(() => '');
      if (text.includes('"started"')) break;
      if (Date.now() > deadline) throw new Error(`no started entry; audit: ${text}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    const shown = await cli(['audit', '-c', file, '--json']);
    expect(shown.code).toBe(0);
    const entries = shown.stdout.trim().split('\n').map((l) => JSON.parse(l) as { command: string; outcome: string; actor: string });
    expect(entries).toEqual([expect.objectContaining({ command: 'slow', outcome: 'started', actor: 'alice' })]);
  });
});
