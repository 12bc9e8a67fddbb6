// A bridge on Redis while Redis goes away: it keeps running, readiness names the store, replies wait instead of
// failing, and once Redis is back every one is delivered, in order, and the store's lock is held again.
import { describe, expect, it } from 'vitest';
import { Bridge } from '@switchboard/core';
import { MemoryAdapter, waitUntil } from '@switchboard/core/testing';
import { RedisStore } from '@switchboard/store-redis';
import { useRedis } from './fixtures.js';
import { Redis } from 'ioredis';

const redis = useRedis();

describe.skipIf(!redis.present)('a bridge on Redis when Redis goes away', () => {
  it('runs on degraded, loses no reply, keeps per-chat order, and holds its lock again after Redis is back', async () => {
    const store = new RedisStore({ url: redis.url, lockTtlMs: 1000 });
    const adapter = new MemoryAdapter();
    const bridge = new Bridge({ store, adapters: [adapter], users: [{ name: 'ann', tier: 'root', identities: [{ platform: 'memory', id: 'ann' }] }], limits: { userRate: 0 } });
    await bridge.start();
    bridge.registry.register({ name: 'echo', kind: 'get', minTier: 'user', description: 'echo', run: (ctx) => ctx.reply(ctx.argText) });
    adapter.inject({ from: 'ann', text: 'echo before' });
    await waitUntil(() => adapter.textsTo('ann').includes('before'), 'the first reply');

    await redis.kill();
    await expect(store.check()).rejects.toThrow(/is (reconnecting|connecting|close)|did not answer PING within 2 s/);
    for (let i = 0; i < 20; i++) adapter.inject({ from: 'ann', text: `echo during ${i}` });
    // Longer than the lock's ttl: it lapses in Redis' view too.
    await new Promise((r) => setTimeout(r, 1500));
    expect(bridge.running).toBe(true);
    // Not acknowledged while Redis is away, so not sent either: the outbox sends only what it has persisted.
    expect(adapter.textsTo('ann')).toEqual(['before']);

    await redis.restart();
    await waitUntil(() => adapter.textsTo('ann').length === 21, 'every reply after Redis is back', 10_000);
    expect(adapter.textsTo('ann')).toEqual(['before', ...Array.from({ length: 20 }, (_, i) => `during ${i}`)]);
    await store.check();
    const admin = new Redis(redis.url);
    let holder: string | null = null;
    for (let i = 0; i < 20 && !holder; i++) {
      holder = await admin.get('sb:lock');
      if (!holder) await new Promise((r) => setTimeout(r, 100));
    }
    expect(holder).toMatch(new RegExp(`:${process.pid}:`));
    await admin.quit();
    await bridge.stop();
  }, 30_000);
});
