// The core's SIGKILL-mid-delivery test, on the Redis store: a bridge killed while delivering, restarted on the same
// Redis, delivers every accepted message, in order per chat.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { redisPresent, startRedis, type TestRedis } from '@switchboard/store-redis/testing';

const present = redisPresent();
import { crashAndResume } from '../../core/test/fixtures/crashScenario.js';

let redis: TestRedis;
let dir: string;
beforeAll(async () => {
  if (!present) return;
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'sb-redis-crash-'));
}, 20_000);
afterAll(async () => {
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!present)('outbox durability across SIGKILL, on Redis', () => {
  it('delivers every accepted message after the bridge is killed mid-delivery and started again', async () => {
    await crashAndResume(redis.url, join(dir, 'delivered.txt'));
  });
});
