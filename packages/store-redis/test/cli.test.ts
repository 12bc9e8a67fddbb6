// `store: { type: redis }` through the real switchboard command: check names it, start keeps the directory in Redis
// (a promotion survives a restart), `switchboard users` reads it there, and a second bridge on the prefix stands by
// (or, with standby: false, is refused).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli as cli, startCli, useCliProcesses, useRedis, useTempDir } from './fixtures.js';

const redis = useRedis({ password: 'not-the-password' });
const dir = useTempDir('sb-redis-cli-');
useCliProcesses();
let config: string;

beforeAll(async () => {
  if (!redis.present) return;
  config = join(dir(), 'switchboard.yaml');
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
});

describe.skipIf(!redis.present)('the switchboard command on the Redis store', () => {
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

  it('a second bridge on the prefix stands by; with standby: false it is refused, and so is switchboard users while one runs', async () => {
    const first = startCli(['start', '-c', config]);
    await first.waitFor(/Switchboard is running/, 'the first bridge to run');
    const second = startCli(['start', '-c', config]);
    // The log is in a file here: the terminal is told too.
    await second.waitFor(/Standing by: \S+:\d+:\w+ is active on this store/, 'the second bridge to say it stands by');
    const alone = join(dir(), 'alone.yaml');
    await writeFile(alone, (await readFile(config, 'utf8')).replace('prefix: "cli:"', 'prefix: "cli:", standby: false'));
    const third = await cli(['start', '-c', alone], 'quit\n');
    expect(third.code).not.toBe(0);
    expect(third.out).toMatch(/another process holds cli:lock/);
    const tool = await cli(['users', 'list', '-c', config]);
    expect(tool.code).not.toBe(0);
    expect(tool.out).toMatch(/another process holds cli:lock/);
    second.child.kill('SIGTERM');
    expect(await second.exited).not.toBe(null);
    first.child.stdin!.end('quit\n');
    expect(await first.exited).toBe(0);
  });

  it('names a bad store section by path', async () => {
    const bad = join(dir(), 'bad.yaml');
    await writeFile(bad, 'store: { type: redis, url: "http://x", prefix: "bad prefix" }\nadapters:\n  console: { user: alice }\n');
    const run = await cli(['check', '-c', bad]);
    expect(run.code).toBe(2);
    expect(run.out).toContain('store.url: must be a redis:// or rediss:// address');
    expect(run.out).toContain('store.prefix: letters, digits and : _ . - only (1–64)');
    const unknown = join(dir(), 'unknown.yaml');
    await writeFile(unknown, 'store: { type: mongo }\nadapters:\n  console: { user: alice }\n');
    expect((await cli(['check', '-c', unknown])).out).toContain('store.type: unknown store "mongo" (known: file, redis)');
  });
});
