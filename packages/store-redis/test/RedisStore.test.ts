// The Redis store on a real redis-server started here: the Store contract, the lock, readiness, and what survives
// a SIGKILL of Redis itself (append-only file, fsync always).
import { describe, expect, it } from 'vitest';
import { SwitchboardError } from '@switchboard/core';
import { storeContract } from '@switchboard/core/testing';
import { RedisStore } from '@switchboard/store-redis';
import { startRedis } from '@switchboard/store-redis/testing';
import { useRedis } from './fixtures.js';

const redis = useRedis();
let n = 0;

/** A store under a prefix of its own: every case starts empty. */
const fresh = () => new RedisStore({ url: redis.url, prefix: `t${++n}:` });

describe.skipIf(!redis.present)('RedisStore meets the Store contract', () => {
  for (const c of storeContract(async () => fresh(), async (closed) => new RedisStore({ url: redis.url, prefix: (closed as RedisStore).prefix }))) it(c.name, c.run);
});

describe.skipIf(!redis.present)('RedisStore', () => {
  it('lets one process hold a prefix: a second store is refused, naming the lock, until the first closes', async () => {
    const first = fresh();
    await first.open();
    const second = new RedisStore({ url: redis.url, prefix: first.prefix });
    const refused = await second.open().then(() => undefined, (error: unknown) => error);
    expect(refused).toBeInstanceOf(SwitchboardError);
    expect((refused as SwitchboardError).code).toBe('STORE_LOCKED');
    expect((refused as Error).message).toMatch(new RegExp(`another process holds ${first.prefix}lock on redis://127\\.0\\.0\\.1:\\d+ .*one bridge per prefix`));
    await second.close();
    await first.close();
    const third = new RedisStore({ url: redis.url, prefix: first.prefix });
    await third.open();
    await third.close();
  });

  it('keeps the lock alive past its ttl while open, and it expires once its holder is gone for good', async () => {
    const first = new RedisStore({ url: redis.url, prefix: `t${++n}:`, lockTtlMs: 1000 });
    await first.open();
    await new Promise((r) => setTimeout(r, 1500));
    const second = new RedisStore({ url: redis.url, prefix: first.prefix, lockTtlMs: 1000 });
    await expect(second.open()).rejects.toThrow(/another process holds/);
    await second.close();
    await first.close();
  });

  it('says it is not ready when Redis is gone, and why; writes made then wait and land when it is back', async () => {
    const own = await startRedis();
    try {
      const store = new RedisStore({ url: own.url });
      await store.open();
      await store.check();
      await store.put('directory', { v: 1 });
      await own.kill();
      await expect(store.check()).rejects.toThrow(/Redis at redis:\/\/127\.0\.0\.1:\d+ is (reconnecting|connecting|close)|Redis did not answer PING within 2 s/);
      const pending = store.put('directory', { v: 2 });
      await own.restart();
      await pending;
      await new Promise((r) => setTimeout(r, 50));
      await store.check();
      expect(await store.get('directory')).toEqual({ v: 2 });
      await store.close();
    } finally {
      await own.stop();
    }
  });

  it('loses nothing acknowledged when Redis itself is SIGKILLed (appendfsync always)', async () => {
    const own = await startRedis();
    try {
      const store = new RedisStore({ url: own.url, lock: false });
      await store.open();
      const journal = store.journal('outbox');
      for (let i = 0; i < 200; i++) await journal.append([{ i }]);
      await store.put('directory', { users: 3 });
      await own.kill();
      await own.restart();
      await new Promise((r) => setTimeout(r, 100));
      const again = new RedisStore({ url: own.url, lock: false });
      await again.open();
      expect((await again.journal('outbox').readAll()).length).toBe(200);
      expect(await again.get('directory')).toEqual({ users: 3 });
      await again.close();
      await store.close();
    } finally {
      await own.stop();
    }
  });

  it('cannot reach a Redis that is not there: a clear error at open', async () => {
    const store = new RedisStore({ url: 'redis://127.0.0.1:1', redis: { retryStrategy: () => null } });
    await expect(store.open()).rejects.toThrow(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    await store.close();
  });

  it('never shows the password of its URL', async () => {
    const store = new RedisStore({ url: 'redis://user:hunter2-secret@127.0.0.1:1', redis: { retryStrategy: () => null } });
    const error = await store.open().then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).not.toContain('hunter2');
    expect(error?.message).toContain('***');
    await store.close();
  });
});

describe.skipIf(!redis.present)('a Redis journal under interleaved appends and compactions (property)', () => {
  it('ends exactly as a list would: every append in call order, each compaction replacing what came before it', async () => {
    const fc = await import('fast-check');
    const op = fc.oneof(
      fc.record({ type: fc.constant('append' as const), n: fc.integer({ min: 0, max: 3 }), durable: fc.boolean() }),
      fc.record({ type: fc.constant('compact' as const) }),
      fc.record({ type: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 3 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const store = fresh();
        await store.open();
        const journal = store.journal('j');
        let model: unknown[] = [];
        let next = 0;
        const inFlight: Promise<void>[] = [];
        for (const o of ops) {
          if (o.type === 'pause') {
            await new Promise((r) => setTimeout(r, o.ms));
            continue;
          }
          if (o.type === 'append') {
            const records = Array.from({ length: o.n }, () => ({ i: next++ }));
            model.push(...records);
            inFlight.push(journal.append(records, { durable: o.durable }));
          } else {
            // What the journal holds at this call, in call order, is what the snapshot stands for.
            const covered = model.length;
            model = [{ compacted: covered }];
            inFlight.push(journal.compact(() => [{ compacted: covered }]));
          }
        }
        await Promise.all(inFlight);
        const actual = await journal.readAll();
        await store.close();
        return JSON.stringify(actual) === JSON.stringify(model);
      }),
      { numRuns: 40 },
    );
  }, 60_000);
});
