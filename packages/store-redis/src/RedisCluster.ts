import type { Redis, RedisOptions } from 'ioredis';
import { errorInfo, sleep, type Cluster, type ClusterQueue, type Logger, type QueueHandler } from '@switchboard/core';
import { redisClient } from './client.js';

/**
 * Renew this instance's presence (`members`, a sorted set scored by expiry), then for each lease
 * key (a hash `{holder, token}` with a ttl): keep it when it is ours, take it when free (its
 * fencing token, in a key of its own that never expires, grows by one). Returns `[index, token]`
 * pairs of the leases held afterwards. Times are the server's, so instances need no shared clock.
 * KEYS: members, then lease and fence keys in pairs; ARGV: instance, ttl.
 */
const HoldScript = `local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('zadd', KEYS[1], now + ttl, ARGV[1])
redis.call('zremrangebyscore', KEYS[1], '-inf', now)
redis.call('pexpire', KEYS[1], ttl * 10)
local out = {}
for i = 2, #KEYS, 2 do
  local holder = redis.call('hget', KEYS[i], 'holder')
  local token
  if holder == ARGV[1] then
    token = redis.call('hget', KEYS[i], 'token')
  elseif holder == false then
    token = redis.call('incr', KEYS[i + 1])
    redis.call('hset', KEYS[i], 'holder', ARGV[1], 'token', token)
  end
  if token then
    redis.call('pexpire', KEYS[i], ttl)
    out[#out + 1] = (i - 2) / 2
    out[#out + 1] = tonumber(token)
  end
end
return out`;

const ReleaseScript = `for i = 1, #KEYS do
  if redis.call('hget', KEYS[i], 'holder') == ARGV[1] then redis.call('del', KEYS[i]) end
end
return 1`;

const MembersScript = `local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('zcount', KEYS[1], now, '+inf')`;

/** A sliding window of starts: 0 when one was taken now, else the ms to wait. KEYS: window; ARGV: per window, window ms, member. */
const SlotScript = `local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('zremrangebyscore', KEYS[1], '-inf', now - window)
if redis.call('zcard', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('zadd', KEYS[1], now, ARGV[3])
  redis.call('pexpire', KEYS[1], window)
  return 0
end
local oldest = redis.call('zrange', KEYS[1], 0, 0, 'withscores')
return math.max(1, tonumber(oldest[2]) + window - now)`;

/** Records read per XREADGROUP, and how long one blocks. */
const ReadCount = 200;
/** Records handed out and not yet handled, at most: reading waits beyond this. */
const MaxInFlight = 2000;
const BlockMs = 1000;
/** A record another consumer took and left this long is taken over (a fenced-out active that is still running). */
const ClaimIdleMs = 10_000;

/**
 * {@link Cluster} on Redis, beside the store's keys (`<prefix>members`, `<prefix>lease:*`,
 * `<prefix>fence:*`, `<prefix>slot:*`, `<prefix>state:*`, `<prefix>queue:*`). It writes without
 * the store's lock: it is what instances use while only one of them may write the store.
 */
export class RedisCluster implements Cluster {
  private readonly client: Redis;
  private readonly logger: Logger;
  private readonly consumers = new Set<() => Promise<void>>();
  private slotCount = 0;

  constructor(
    private readonly url: string,
    private readonly prefix: string,
    readonly instance: string,
    logger: Logger,
    private readonly redisOptions: RedisOptions = {},
  ) {
    this.logger = logger.child({ component: 'cluster' });
    this.client = redisClient(url, this.logger, { lazyConnect: true, ...redisOptions });
  }

  async open(): Promise<void> {
    if (this.client.status === 'wait') await this.client.connect();
  }

  async close(): Promise<void> {
    for (const stop of [...this.consumers]) await stop();
    if (this.client.status === 'ready') await this.client.zrem(`${this.prefix}members`, this.instance).catch(() => undefined);
    await this.client.quit().catch(() => this.client.disconnect());
  }

  async hold(names: readonly string[], ttlMs: number): Promise<ReadonlyMap<string, number>> {
    const keys = [`${this.prefix}members`, ...names.flatMap((n) => [`${this.prefix}lease:${n}`, `${this.prefix}fence:${n}`])];
    const out = (await this.client.eval(HoldScript, keys.length, ...keys, this.instance, String(ttlMs))) as number[];
    const held = new Map<string, number>();
    for (let i = 0; i < out.length; i += 2) held.set(names[out[i]!]!, out[i + 1]!);
    return held;
  }

  async release(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await this.client.eval(ReleaseScript, names.length, ...names.map((n) => `${this.prefix}lease:${n}`), this.instance);
  }

  async members(): Promise<number> {
    return Number(await this.client.eval(MembersScript, 1, `${this.prefix}members`));
  }

  async startSlot(name: string, perWindow: number, windowMs: number, signal?: AbortSignal): Promise<void> {
    const member = `${this.instance}:${++this.slotCount}`;
    for (;;) {
      signal?.throwIfAborted();
      const wait = Number(await this.client.eval(SlotScript, 1, `${this.prefix}slot:${name}`, String(perWindow), String(windowMs), member));
      if (wait === 0) return;
      await sleep(wait);
    }
  }

  async getState<T>(name: string): Promise<T | undefined> {
    const raw = await this.client.get(`${this.prefix}state:${name}`);
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }

  async setState(name: string, value: unknown, ttlMs: number): Promise<void> {
    await this.client.set(`${this.prefix}state:${name}`, JSON.stringify(value), 'PX', ttlMs);
  }

  queue(name: string): ClusterQueue {
    const key = `${this.prefix}queue:${name}`;
    return {
      add: async (record) => {
        await this.client.xadd(key, '*', 'r', JSON.stringify(record));
      },
      consume: (handle) => {
        const stop = this.consume(key, handle);
        this.consumers.add(stop);
        return async () => {
          this.consumers.delete(stop);
          await stop();
        };
      },
    };
  }

  /**
   * One consumer (group `active`, consumer = this instance) on its own connection, since XREADGROUP
   * blocks it. Records other consumers took and never acknowledged (an active instance that died)
   * come first, marked `redelivered`, then new ones. Each is handed to `handle` as it is read (calls
   * start in order; up to {@link MaxInFlight} at once) and acknowledged and deleted once its `handle`
   * resolved; one that failed is tried again after a backoff (up to 5 s).
   */
  private consume(key: string, handle: QueueHandler): () => Promise<void> {
    const reader = redisClient(this.url, this.logger, this.redisOptions);
    let stopping = false;
    const inFlight = new Set<string>();
    let room: (() => void) | undefined;
    const finish = (id: string): void => {
      inFlight.delete(id);
      room?.();
    };
    const run = (id: string, record: unknown, redelivered: boolean, attempt: number): void => {
      handle(record, { redelivered }).then(
        () => {
          if (stopping) return finish(id);
          this.client.multi().xack(key, 'active', id).xdel(key, id).exec().then(
            () => finish(id),
            (error: unknown) => {
              this.logger.warn({ ...errorInfo(error), queue: key, id }, 'could not acknowledge a queued record; it may be handled again');
              finish(id);
            },
          );
        },
        (error: unknown) => {
          if (stopping) return finish(id);
          this.logger[attempt < 3 ? 'debug' : 'warn']({ ...errorInfo(error), queue: key, id, attempt }, 'could not handle a queued record; retrying');
          setTimeout(() => (stopping ? finish(id) : run(id, record, redelivered, attempt + 1)), Math.min(5000, 100 * 2 ** attempt));
        },
      );
    };
    const start = async (entries: [string, string[] | null][], redelivered: boolean): Promise<void> => {
      for (const [id, fields] of entries) {
        if (fields === null || inFlight.has(id)) continue;
        let record: unknown;
        try {
          record = JSON.parse(fields[fields.indexOf('r') + 1] ?? 'null');
        } catch {
          this.logger.error({ queue: key, id }, 'a queued record is not JSON; dropped');
          await this.client.multi().xack(key, 'active', id).xdel(key, id).exec();
          continue;
        }
        inFlight.add(id);
        run(id, record, redelivered, 0);
      }
      while (inFlight.size >= MaxInFlight && !stopping) await new Promise<void>((r) => (room = r));
    };
    const loop = async (): Promise<void> => {
      await reader.xgroup('CREATE', key, 'active', '0', 'MKSTREAM').catch((error: Error) => {
        if (!error.message.includes('BUSYGROUP')) throw error;
      });
      // Take over what other consumers took and left idle `minIdle` ms, in stream order (this one's own in hand are skipped).
      const claim = async (minIdle: number): Promise<void> => {
        let cursor = '0-0';
        do {
          const [next, entries] = (await reader.xautoclaim(key, 'active', this.instance, minIdle, cursor, 'COUNT', ReadCount)) as [string, [string, string[] | null][]];
          await start(entries, true);
          cursor = next;
        } while (cursor !== '0-0' && !stopping);
      };
      // An active instance that died left what it had taken; it is this one's now, first. Later, what a
      // fenced-out active instance still running took.
      await claim(0);
      let lastClaim = Date.now();
      while (!stopping) {
        if (Date.now() - lastClaim > ClaimIdleMs) {
          await claim(ClaimIdleMs);
          lastClaim = Date.now();
        }
        const reply = (await reader.xreadgroup('GROUP', 'active', this.instance, 'COUNT', ReadCount, 'BLOCK', BlockMs, 'STREAMS', key, '>')) as
          | [string, [string, string[]][]][]
          | null;
        if (reply) await start(reply[0]![1], false);
      }
    };
    const done = loop().catch((error: unknown) => {
      if (!stopping) this.logger.error({ ...errorInfo(error), queue: key }, 'the queue consumer stopped');
    });
    return async () => {
      stopping = true;
      room?.();
      reader.disconnect();
      await done;
    };
  }
}
