// The core's SIGKILL-mid-delivery test, on the Redis store: a bridge killed while delivering, restarted on the same
// Redis, delivers every accepted message, in order per chat.
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { crashAndResume } from '../../core/test/fixtures/crashScenario.js';
import { useRedis, useTempDir } from './fixtures.js';

const redis = useRedis();
const dir = useTempDir('sb-redis-crash-');

describe.skipIf(!redis.present)('outbox durability across SIGKILL, on Redis', () => {
  it('delivers every accepted message after the bridge is killed mid-delivery and started again', async () => {
    await crashAndResume(redis.url, join(dir(), 'delivered.txt'));
  });
});
