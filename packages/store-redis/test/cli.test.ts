// `store: { type: redis }` through the real switchboard command: check names it, start keeps the directory in Redis
// (a promotion survives a restart), `switchboard users` reads it there, and a second bridge on the prefix is refused.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisPresent, startRedis, type TestRedis } from '@switchboard/store-redis/testing';

const present = redisPresent();

const bin = new URL('../../cli/dist/bin.js', import.meta.url).pathname;
let redis: TestRedis;
let dir: string;
let config: string;

beforeAll(async () => {
  if (!present) return;
  redis = await startRedis({ password: 'not-the-password' });
  dir = await mkdtemp(join(tmpdir(), 'sb-redis-cli-'));
  config = join(dir, 'switchboard.yaml');
  await writeFile(
    config,
    `
dataDir: ./data
logFile: ./data/switchboard.log
store: { type: redis, url: "redis://:not-the-password@127.0.0.1:${redis.port}", prefix: "cli:" }
adapters:
  console: { user: alice }
users:
  - { name: alice, tier: root, identities: [console:alice] }
  - { name: carol, tier: user, identities: [console:carol] }
`,
  );
}, 20_000);
afterAll(async () => {
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function cli(args: string[], input?: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code, out }));
    if (input !== undefined) child.stdin.end(input);
  });
}

describe.skipIf(!present)('the switchboard command on the Redis store', () => {
  it('check names the store without its password', async () => {
    const run = await cli(['check', '-c', config]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/store: redis redis:\/\/\S+@127\.0\.0\.1:\d+, keys under cli:/);
    expect(run.out).not.toContain('not-the-password');
  });

  it('keeps the directory in Redis: a promotion survives a restart and switchboard users sees it', async () => {
    const first = await cli(['start', '-c', config], 'promote carol\nquit\n');
    expect(first.code).toBe(0);
    expect(first.out).toContain('carol is now admin (was user).');
    const second = await cli(['start', '-c', config], 'users\nquit\n');
    expect(second.out).toContain('carol (admin) — console:carol');
    const listed = await cli(['users', 'list', '-c', config]);
    expect(listed.code).toBe(0);
    expect(listed.out).toContain('carol\tadmin\tconsole:carol');
    // The audit trail is in Redis too, beside the store.
    const audit = await cli(['audit', '-c', config]);
    expect(audit.code).toBe(0);
    expect(audit.out).toMatch(/alice \(root, console:alice\) promote carol → ok/);
    expect(first.out + second.out + listed.out + audit.out).not.toContain('not-the-password');
  });

  it('refuses a second bridge on the same prefix while one runs', async () => {
    const child = spawn(process.execPath, [bin, 'start', '-c', config], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    while (!out.includes('Switchboard is running')) await new Promise((r) => setTimeout(r, 20));
    const second = await cli(['start', '-c', config], 'quit\n');
    expect(second.code).not.toBe(0);
    expect(second.out).toMatch(/another process holds cli:lock/);
    child.stdin.end('quit\n');
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
  });

  it('names a bad store section by path', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'store: { type: redis, url: "http://x", prefix: "bad prefix" }\nadapters:\n  console: { user: alice }\n');
    const run = await cli(['check', '-c', bad]);
    expect(run.code).toBe(2);
    expect(run.out).toContain('store.url: must be a redis:// or rediss:// address');
    expect(run.out).toContain('store.prefix: letters, digits and : _ . - only (1–64)');
    const unknown = join(dir, 'unknown.yaml');
    await writeFile(unknown, 'store: { type: mongo }\nadapters:\n  console: { user: alice }\n');
    expect((await cli(['check', '-c', unknown])).out).toContain('store.type: unknown store "mongo" (known: file, redis)');
  });
});
