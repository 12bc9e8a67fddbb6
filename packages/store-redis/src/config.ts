import { defineStore } from '@switchboard/core';
import { z } from 'zod';
import { RedisStore, safeUrl } from './RedisStore.js';
import { RedisAuditLog } from './RedisAuditLog.js';

/** The `store:` section for Redis: `{ type: redis, url: redis://127.0.0.1:6379, prefix: "sb:" }`. */
export const RedisStoreConfigSchema = z
  .object({
    type: z.literal('redis'),
    url: z
      .string()
      .url()
      .refine((url) => /^rediss?:\/\//.test(url), 'must be a redis:// or rediss:// address'),
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'letters, digits and : _ . - only (1–64)')
      .default('sb:'),
    /** How long the store's lock lasts without renewal: a standby takes over within about this after the active instance dies. */
    lockTtl: z.number().int().min(1000).max(300_000).default(5000),
    /**
     * A second bridge on the prefix stands by (taking QQ shards and webhooks for the active one) and
     * takes over when the active one stops; false: it refuses to start instead.
     */
    standby: z.boolean().default(true),
    /** Audit entries kept in `<prefix>audit` (about: Redis trims streams approximately). */
    auditMaxEntries: z.number().int().min(100).max(100_000_000).default(100_000),
  })
  .strict();

export type RedisStoreConfig = z.output<typeof RedisStoreConfigSchema>;

/** The Redis store as the config file's `store: { type: redis }` picks it. */
export const redisStore = defineStore({
  type: 'redis',
  config: RedisStoreConfigSchema,
  create: (config, { logger, bridge }) =>
    new RedisStore({ url: config.url, prefix: config.prefix, lockTtlMs: config.lockTtl, standby: config.standby && bridge === true, logger }),
  audit: (config, { logger }) => new RedisAuditLog({ url: config.url, prefix: config.prefix, maxEntries: config.auditMaxEntries, logger }),
  describe: (config) => `redis ${safeUrl(config.url)}, keys under ${config.prefix}${config.standby ? '; more instances stand by and share the QQ shards' : '; one instance only'}`,
});
