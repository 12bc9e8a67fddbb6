import type { Redis, RedisOptions } from 'ioredis';
import { redisClient } from './client.js';
import { silentLogger, type AuditEntry, type AuditLog, type AuditQuery, type Logger } from '@switchboard/core';
import { safeUrl } from './RedisStore.js';

/** Options of {@link RedisAuditLog}. */
export interface RedisAuditLogOptions {
  readonly url: string;
  /** The same prefix as the store's. @defaultValue 'sb:' */
  readonly prefix?: string;
  /** Entries kept, about (older ones are trimmed as new ones come, as Redis trims streams: `MAXLEN ~`). @defaultValue 100000 */
  readonly maxEntries?: number;
  readonly logger?: Logger;
  readonly redis?: RedisOptions;
}

/** Entries read per XREVRANGE, and at most how many are scanned for one query with an actor. */
const Page = 500;
const ScanLimit = 50_000;

/**
 * The audit log in a Redis Stream (`<prefix>audit`), one entry per act, beside the Redis store: a
 * bridge on Redis keeps nothing in its data directory but its log file. An append resolves once
 * Redis has it (durable as its `appendfsync` makes it); the stream is trimmed to about
 * `maxEntries`. Reading only: `switchboard audit` reads it while the bridge runs.
 */
export class RedisAuditLog implements AuditLog {
  readonly location: string;
  private readonly client: Redis;
  private readonly key: string;
  private readonly maxEntries: number;

  constructor(options: RedisAuditLogOptions) {
    this.key = `${options.prefix ?? 'sb:'}audit`;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.location = `${this.key} on ${safeUrl(options.url)}`;
    const logger = (options.logger ?? silentLogger).child({ component: 'audit', store: 'redis' });
    this.client = redisClient(options.url, logger, options.redis);
  }

  async append(entry: AuditEntry): Promise<void> {
    await this.client.xadd(this.key, 'MAXLEN', '~', this.maxEntries, '*', 'e', JSON.stringify(entry));
  }

  async latest(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const limit = query.limit ?? 20;
    const actor = query.actor?.toLowerCase();
    const out: AuditEntry[] = [];
    let from = '+';
    for (let scanned = 0; out.length < limit && scanned < ScanLimit; ) {
      const entries = await this.client.xrevrange(this.key, from, '-', 'COUNT', Page);
      for (const [, fields] of entries) {
        const at = fields.indexOf('e');
        let entry: AuditEntry;
        try {
          entry = JSON.parse(fields[at + 1] ?? '') as AuditEntry;
        } catch {
          continue;
        }
        if (actor === undefined || entry.actor.toLowerCase() === actor) out.push(entry);
        if (out.length === limit) break;
      }
      scanned += entries.length;
      if (entries.length < Page) break;
      from = `(${entries[entries.length - 1]![0]}`;
    }
    return out.reverse();
  }

  async close(): Promise<void> {
    // QUIT would wait for a connection that may never come back; what was appended has been answered already.
    if (this.client.status === 'ready') await this.client.quit().catch(() => this.client.disconnect());
    else this.client.disconnect();
  }
}
