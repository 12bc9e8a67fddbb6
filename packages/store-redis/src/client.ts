import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '@switchboard/core';

/**
 * An ioredis client as the store and the audit log use it: commands issued while the connection is
 * down wait for it, in order, instead of failing after a few retries (nothing is dropped silently);
 * reconnects back off to 5 s; connection errors are logged, never thrown at the process.
 */
export function redisClient(url: string, logger: Logger, options: RedisOptions = {}): Redis {
  const client = new Redis(url, {
    maxRetriesPerRequest: null,
    connectTimeout: 5000,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5000),
    ...options,
  });
  client.on('error', (error: Error) => logger.warn({ err: { name: error.name, message: error.message } }, 'redis connection error'));
  return client;
}
