// The audit log beside the Redis store: entries in order, by actor, trimmed, and kept across a restart of Redis.
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '@switchboard/core';
import { RedisAuditLog } from '@switchboard/store-redis';
import { useRedis } from './fixtures.js';

const redis = useRedis();
let n = 0;

const entry = (i: number, actor = i % 2 === 0 ? 'ann' : 'bob'): AuditEntry => ({ at: new Date(1_800_000_000_000 + i * 1000).toISOString(), actor, tier: 'admin', command: 'promote', args: [`u${i}`], outcome: 'ok' });

describe.skipIf(!redis.present)('RedisAuditLog', () => {
  it('returns the latest entries oldest first, by actor when asked, and survives a SIGKILL of Redis', async () => {
    const prefix = `a${++n}:`;
    const log = new RedisAuditLog({ url: redis.url, prefix });
    for (let i = 0; i < 30; i++) await log.append(entry(i));
    expect((await log.latest({ limit: 3 })).map((e) => e.args[0])).toEqual(['u27', 'u28', 'u29']);
    expect((await log.latest({ limit: 2, actor: 'BOB' })).map((e) => e.args[0])).toEqual(['u27', 'u29']);
    expect(await log.latest({ actor: 'nobody' })).toEqual([]);
    expect(log.location).toMatch(new RegExp(`^${prefix}audit on redis://127\\.0\\.0\\.1:\\d+$`));
    await redis.restart();
    const again = new RedisAuditLog({ url: redis.url, prefix });
    expect(await again.latest({ limit: 100 })).toHaveLength(30);
    await again.close();
    await log.close();
  });

  it('trims to about maxEntries, keeping the newest', async () => {
    const log = new RedisAuditLog({ url: redis.url, prefix: `a${++n}:`, maxEntries: 100 });
    for (let i = 0; i < 2000; i++) await log.append(entry(i));
    const kept = await log.latest({ limit: 10_000 });
    expect(kept.length).toBeGreaterThanOrEqual(100);
    expect(kept.length).toBeLessThan(1000);
    expect(kept.at(-1)!.args[0]).toBe('u1999');
    await log.close();
  });
});
