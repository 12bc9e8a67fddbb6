import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const bin = new URL('../dist/bin.js', import.meta.url).pathname;
let dir: string;
let config: string;

const demo = `
dataDir: ./data
logLevel: debug
logFile: ./data/switchboard.log
adapters:
  console:
    user: alice
users:
  - { name: alice, tier: root, identities: [console:alice] }
  - { name: bob, tier: admin, identities: [console:bob] }
  - { name: carol, tier: user, identities: [console:carol] }
`;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-cli-'));
  config = join(dir, 'switchboard.yaml');
  await writeFile(config, demo);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], input?: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    if (input !== undefined) child.stdin.end(input);
  });
}

describe('switchboard start', () => {
  it('answers help, whoami, users and promote on the console, and quit stops it cleanly', async () => {
    const run = await cli(['start', '-c', config], 'help\nwhoami\nusers\npromote carol\nquit\n');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('bot> Commands you may run:');
    expect(run.stdout).toMatch(/bot> alice \(root\)\n\s+identities: console:alice/);
    expect(run.stdout).toContain('bot> 3 users:');
    expect(run.stdout).toContain('bot> carol is now admin (was user).');
    expect(run.stdout).toMatch(/bot> Shutting down/);
    expect(run.stdout.indexOf('carol is now admin')).toBeLessThan(run.stdout.indexOf('Shutting down'));

    const list = await cli(['users', 'list', '-c', config]);
    expect(list.stdout).toContain('carol\tadmin\tconsole:carol');
  });

  it('refuses a lower tier on the console and keeps answering', async () => {
    const run = await cli(['start', '-c', config], ':as carol\nusers\nwhoami\n');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('bot> "users" needs admin or above; you are user.');
    expect(run.stdout).toContain('bot> carol (user)');
  });

  it('exits non-zero naming the bad path before touching the data directory', async () => {
    await writeFile(config, 'dataDir: ./data\nadapters:\n  console:\n    prompt: false\n');
    const run = await cli(['start', '-c', config], '');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('adapters.console.user: required (line 3)');
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('keeps environment secrets out of the log file', async () => {
    const secret = 'sk-live-9f8e7d6c5b4a';
    // The console identity comes from the environment and appears in the adapter's status line.
    await writeFile(config, demo.replace('    user: alice\n', '    user: ${SB_SECRET}\n'));
    const run = await cli(['start', '-c', config], 'whoami\n', { SB_SECRET: secret });
    expect(run.code).toBe(0);
    const log = await readFile(join(dir, 'data', 'switchboard.log'), 'utf8');
    expect(log).toContain('bridge started');
    expect(log).toContain('[redacted]');
    expect(log).not.toContain(secret);
  });
});

describe('switchboard check', () => {
  it('prints what would start without creating anything', async () => {
    const run = await cli(['check', '-c', config]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`config ok: ${config}`);
    expect(run.stdout).toContain('console, speaking as console:alice');
    expect(run.stdout).toContain('alice (root) console:alice');
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('warns about an escalation step that can page nobody', async () => {
    await writeFile(
      config,
      [
        'adapters:\n  console: { user: alice }',
        'users:\n  - { name: alice, tier: root, identities: [console:alice] }\n  - { name: bob, tier: admin, identities: [console:bob] }',
        'feeds:\n  - { name: lab, type: websocket, url: "ws://127.0.0.1:1" }',
        'routes:',
        '  - name: doors',
        '    match: { topic: door }',
        '    notify: { users: [alice] }',
        '    alert: { severity: warning, escalate: [{ after: 5m, notify: { tier: admin } }, { after: 5m, notify: { users: [bob] } }, { after: 5m, notify: { users: [alice] } }] }',
        '  - name: heat',
        '    match: { topic: heat }',
        '    notify: { tier: admin }',
        '    alert: { severity: warning, escalate: [{ after: 5m, notify: { tier: root } }] }',
      ].join('\n') + '\n',
    );
    const run = await cli(['check', '-c', config]);
    expect(run.code).toBe(0);
    const warnings = run.stdout.split('\n').filter((l) => l.startsWith('warning:'));
    expect(warnings).toEqual([
      'warning: rule 1 (doors): escalation step 1 can page nobody: the rule does not let tier admin see its alerts (name them in notify.users, or set notify.tier or subscribers low enough)',
      'warning: rule 1 (doors): escalation step 2 can page nobody: the rule does not let bob see its alerts (name them in notify.users, or set notify.tier or subscribers low enough)',
    ]);
  });

  it('lists every problem with its path and line', async () => {
    await writeFile(config, 'adapters:\n  console: {}\nusers:\n  - { name: x, tier: boss }\n');
    const run = await cli(['check', '-c', config]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('adapters.console.user: required (line 2)');
    expect(run.stderr).toContain('users.0.tier: must be one of root, admin, user (got "boss") (line 4)');
  });
});

describe('switchboard users', () => {
  it('adds, re-tiers and removes users offline, enforcing the last-root rule', async () => {
    expect((await cli(['users', 'add', 'dave', 'admin', 'console:dave', 'qq:DAVE', '-c', config])).stdout).toBe('added dave (admin)\n');
    expect((await cli(['users', 'set-tier', 'dave', 'root', '-c', config])).stdout).toBe('dave: admin → root\n');
    expect((await cli(['users', 'set-tier', 'alice', 'user', '-c', config])).code).toBe(0);
    const last = await cli(['users', 'remove', 'dave', '-c', config]);
    expect(last.code).toBe(1);
    expect(last.stderr).toContain('dave is the last root and cannot be removed');
    const bad = await cli(['users', 'add', 'eve', 'wizard', '-c', config]);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('"wizard" is not a tier');
    const list = await cli(['users', 'list', '-c', config]);
    expect(list.stdout.split('\n')).toContain('dave\troot\tconsole:dave,qq:DAVE');
    expect(list.stdout.split('\n')).toContain('alice\tuser\tconsole:alice');
  });

  it('refuses to touch the data directory while a bridge runs on it', async () => {
    const child = spawn(process.execPath, [bin, 'start', '-c', config], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 10_000;
    while (!out.includes('Switchboard is running') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const run = await cli(['users', 'add', 'eve', 'user', '-c', config]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`data directory is in use by process ${child.pid}`);
    child.stdin.end('quit\n');
    await new Promise((resolve) => child.on('exit', resolve));
  });
});
