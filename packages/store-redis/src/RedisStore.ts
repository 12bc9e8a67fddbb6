import type { Redis, RedisOptions } from 'ioredis';
import { redisClient } from './client.js';
import { BehaviorSubject, distinctUntilChanged, EMPTY, type Observable } from 'rxjs';
import { assertJournalName, assertStoreKey, silentLogger, SwitchboardError, type AppendOptions, type Journal, type Logger, type Store } from '@switchboard/core';
import { isFenced, withFencedWrites } from './fenced.js';
import { RedisCluster } from './RedisCluster.js';
import { StoreLock } from './StoreLock.js';

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
  readonly url: string;
  /** Put before every key, so that several bridges (or other programs) can share one Redis. @defaultValue 'sb:' */
  readonly prefix?: string;
  /**
   * Take the prefix's lock so that no second bridge (or `switchboard users` while a bridge runs)
   * writes the same keys. A lock whose holder died is taken over once it expires, or at once when
   * the holder was a process of this machine that no longer exists.
   * @defaultValue true
   */
  readonly lock?: boolean;
  /** How long a lock lasts without renewal (it is renewed at a third of this); a standby takes over within about this. @defaultValue 5000 */
  readonly lockTtlMs?: number;
  /**
   * When another bridge holds the prefix, wait for it (a standby instance) instead of failing: `open`
   * resolves once this process holds the lock. Such a store offers {@link RedisStore.cluster}, for
   * the work instances share. @defaultValue false
   */
  readonly standby?: boolean;
  readonly logger?: Logger;
  /** Extra ioredis options (timeouts, TLS). */
  readonly redis?: RedisOptions;
}

/** The Redis connection, as {@link RedisStore.connection$} reports it. */
export type RedisConnectionState = 'ready' | 'reconnecting' | 'closed';

/** Journal batches on their way to Redis at once; the next batch gathers appends until one returns (a group commit). */
const MaxInFlight = 2;

/** Records per stream entry when a compaction rewrites a journal, and entries read per XRANGE. */
const ChunkRecords = 1000;
const ReadCount = 2000;

/**
 * The `Store` port on Redis. Documents are strings (`<prefix>doc:<key>`, JSON, replaced by one SET,
 * so a reader sees the old or the new value). Journals are Redis Streams (`<prefix>journal:<name>`),
 * one entry per append holding its records; a compaction replaces a stream in one MULTI. Writes
 * are as durable as the server makes them: `appendonly yes` with `appendfsync always` gives the
 * file store's guarantee (an acknowledged write survives a crash of the server's machine);
 * `everysec`, Redis' default, may lose the last second. The store says which at open.
 */
export class RedisStore implements Store {
  readonly prefix: string;
  private readonly client: ReturnType<typeof withFencedWrites>;
  private readonly logger: Logger;
  private readonly journals = new Map<string, RedisJournal>();
  private readonly lock: StoreLock | undefined;
  private readonly lockKey: string;
  private readonly stopping = new AbortController();
  private opened = false;
  private readonly connection = new BehaviorSubject<RedisConnectionState>('closed');

  /** The connection's state as it changes: `ready`, `reconnecting` while Redis is away (writes wait), `closed`. */
  readonly connection$: Observable<RedisConnectionState> = this.connection.pipe(distinctUntilChanged());
  /** Emits once, why, when another instance took the prefix over: this one can no longer write (every write is fenced). */
  readonly lost$: Observable<string>;
  /** Emits the active instance (`host:pid:…`) when this one starts standing by for it. */
  readonly standingBy$: Observable<string>;
  /** With `standby`: leases, start slots and queues between the instances on this prefix. */
  readonly cluster: RedisCluster | undefined;

  constructor(private readonly options: RedisStoreOptions) {
    if (!options.url) throw new TypeError('RedisStore needs a url (redis://host:port)');
    this.prefix = options.prefix ?? 'sb:';
    this.logger = (options.logger ?? silentLogger).child({ component: 'store', store: 'redis' });
    this.client = withFencedWrites(redisClient(options.url, this.logger, { lazyConnect: true, ...options.redis }));
    this.lockKey = `${this.prefix}lock`;
    this.lock = (options.lock ?? true) ? new StoreLock(this.client, this.lockKey, options.lockTtlMs ?? 5000, safeUrl(options.url), this.logger) : undefined;
    this.lost$ = this.lock?.lost$ ?? EMPTY;
    this.standingBy$ = this.lock?.standingBy$ ?? EMPTY;
    this.cluster = options.standby ? new RedisCluster(options.url, this.prefix, this.lock?.token ?? `pid:${process.pid}`, this.logger, options.redis) : undefined;
    this.client.on('ready', () => this.connection.next('ready'));
    this.client.on('reconnecting', () => this.connection.next('reconnecting'));
    this.client.on('end', () => this.connection.next('closed'));
  }

  async open(): Promise<void> {
    try {
      await this.client.connect();
    } catch (error) {
      // Stop the client's own reconnect loop: a store that did not open must not keep the process alive.
      this.client.disconnect();
      throw new SwitchboardError('STORE_UNAVAILABLE', `cannot reach Redis at ${safeUrl(this.options.url)}: ${(error as Error).message}`, { cause: error });
    }
    try {
      await this.reportPersistence();
      await this.lock?.take(this.options.standby ?? false, this.stopping.signal);
    } catch (error) {
      this.client.disconnect();
      throw error;
    }
    this.opened = true;
  }

  async close(): Promise<void> {
    this.stopping.abort();
    if (!this.opened) {
      this.client.disconnect();
      await this.cluster?.close();
      this.connection.next('closed');
      return;
    }
    this.opened = false;
    for (const journal of this.journals.values()) await journal.idle();
    await this.lock?.release();
    await this.cluster?.close();
    await this.client.quit().catch(() => this.client.disconnect());
    this.connection.next('closed');
    this.connection.complete();
  }

  async get<T>(key: string): Promise<T | undefined> {
    assertStoreKey(key);
    const raw = await this.client.get(`${this.prefix}doc:${key}`);
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as T;
    } catch (error) {
      throw new SwitchboardError('STORE_CORRUPT', `${this.prefix}doc:${key} in Redis is not valid JSON; restore it from a backup or delete it`, { cause: error });
    }
  }

  async put(key: string, value: unknown): Promise<void> {
    assertStoreKey(key);
    const doc = `${this.prefix}doc:${key}`;
    const json = JSON.stringify(value);
    await this.fenced(() => this.client.sbFencedSet(this.lockKey, doc, this.lock?.token ?? '', this.lock?.ttl ?? '0', json));
  }

  /** A write, refused (and the lock counted lost) when another instance holds the prefix now. */
  private async fenced<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (!isFenced(error) || !this.lock) throw error;
      this.lock.lost('a write found the lock held by another instance');
      throw new SwitchboardError('STORE_FENCED', `another instance holds ${this.lock.key} now: this process may no longer write`, { cause: error });
    }
  }

  journal(name: string): Journal {
    let journal = this.journals.get(name);
    if (!journal) {
      assertJournalName(name);
      const stream = `${this.prefix}journal:${name}`;
      const [token, ttl] = [this.lock?.token ?? '', this.lock?.ttl ?? '0'];
      journal = new RedisJournal(this.client, stream, {
        add: (json) => this.fenced(() => this.client.sbFencedAdd(this.lockKey, stream, token, ttl, json)),
        replace: (chunks) => this.fenced(() => this.client.sbFencedReplace(this.lockKey, stream, token, ttl, ...chunks)),
      });
      this.journals.set(name, journal);
    }
    return journal;
  }

  /** Open, connected, and answering a PING within 2 s. */
  async check(): Promise<void> {
    if (!this.opened) throw new Error('the Redis store is not open');
    if (this.client.status !== 'ready') throw new Error(`Redis at ${safeUrl(this.options.url)} is ${this.client.status}`);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([this.client.ping(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('Redis did not answer PING within 2 s')), 2000)))]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async reportPersistence(): Promise<void> {
    try {
      const [, aof] = (await this.client.config('GET', 'appendonly')) as [string, string];
      const [, fsync] = (await this.client.config('GET', 'appendfsync')) as [string, string];
      if (aof !== 'yes') this.logger.warn({ appendonly: aof }, 'Redis runs without its append-only file: a restart of Redis loses what was written since its last snapshot; set appendonly yes');
      else if (fsync !== 'always') this.logger.info({ appendfsync: fsync }, 'Redis fsyncs its append-only file every second: a crash of its machine may lose the last second of writes');
    } catch {
      // Managed Redis often refuses CONFIG: nothing to report then.
    }
  }
}

/**
 * A journal on one stream. The appends of one event-loop turn go out as one XADD (a group commit, as
 * the file journal's: with `appendfsync always` Redis fsyncs per write it handles, and one entry per
 * call held a bridge to about 2,000 commands a second). ioredis keeps a connection's commands in
 * order, so batches keep call order without waiting for each other. A compaction goes in line after
 * what was sent before it, and whatever is asked for while anything waits in that line (the
 * compaction, or appends queued behind it) queues too, so the order of calls is the order in Redis.
 */
class RedisJournal implements Journal {
  /** Settles when everything asked for so far has been answered. */
  private tail: Promise<unknown> = Promise.resolve();
  /** Operations in the line not sent yet (a compaction counts until it is done). */
  private queued = 0;
  /**
   * The appends gathered for the next XADD. It goes out at the end of the turn once fewer than
   * {@link MaxInFlight} are on their way, or, when it was opened behind a compaction, once that is done.
   */
  private batch: { records: unknown[]; sent: Promise<void> } | undefined;
  private inFlight = 0;
  /** Lets the gathered batch go, when it waits for one in flight to return. */
  private release: (() => void) | undefined;

  constructor(
    private readonly client: Redis,
    private readonly key: string,
    /** The two writes, fenced by the store's lock: one entry of records, and the whole stream replaced by entries. */
    private readonly writes: { add(json: string): Promise<unknown>; replace(chunks: string[]): Promise<unknown> },
  ) {}

  append(records: readonly unknown[], _options?: AppendOptions): Promise<void> {
    if (records.length === 0) return this.tail.then(() => undefined);
    if (this.batch) {
      this.batch.records.push(...records);
      return this.batch.sent;
    }
    // Behind a compaction (or appends queued behind one), the batch is in that line and counts in it.
    const behind = this.queued > 0;
    if (behind) this.queued++;
    const ready = behind ? this.tail : new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.slot());
    const batch: { records: unknown[]; sent: Promise<void> } = { records: [...records], sent: Promise.resolve() };
    batch.sent = ready.then(() => this.send(batch, behind));
    this.batch = batch;
    this.tail = batch.sent.catch(() => undefined);
    return batch.sent;
  }

  async readAll(): Promise<unknown[]> {
    const out: unknown[] = [];
    let from = '-';
    for (;;) {
      const entries = await this.client.xrange(this.key, from, '+', 'COUNT', ReadCount);
      for (const [id, fields] of entries) {
        const at = fields.indexOf('r');
        if (at < 0 || at + 1 >= fields.length) continue;
        try {
          out.push(...(JSON.parse(fields[at + 1]!) as unknown[]));
        } catch {
          throw new SwitchboardError('STORE_CORRUPT', `entry ${id} of ${this.key} in Redis is not valid JSON`);
        }
      }
      if (entries.length < ReadCount) return out;
      from = `(${entries[entries.length - 1]![0]}`;
    }
  }

  compact(snapshot: () => readonly unknown[]): Promise<void> {
    // The open batch goes out first (it is this.tail); appends after this call gather behind the compaction.
    this.batch = undefined;
    this.queued++;
    const run = this.tail.then(async () => {
      try {
        const records = snapshot();
        const chunks: string[] = [];
        for (let i = 0; i < records.length; i += ChunkRecords) chunks.push(JSON.stringify(records.slice(i, i + ChunkRecords)));
        await this.writes.replace(chunks);
      } finally {
        this.queued--;
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Resolves when what was asked for has been answered. */
  async idle(): Promise<void> {
    await this.tail;
  }

  /** Resolves when fewer than {@link MaxInFlight} batches are on their way. */
  private slot(): Promise<void> | undefined {
    return this.inFlight < MaxInFlight ? undefined : new Promise<void>((resolve) => (this.release = resolve));
  }

  private async send(batch: { records: unknown[] }, behind: boolean): Promise<void> {
    if (this.batch === batch) this.batch = undefined;
    if (behind) this.queued--;
    this.inFlight++;
    try {
      await this.writes.add(JSON.stringify(batch.records));
    } finally {
      this.inFlight--;
      const release = this.release;
      this.release = undefined;
      release?.();
    }
  }
}

/** The URL without its password, for messages and logs. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(unparsable url)';
  }
}
