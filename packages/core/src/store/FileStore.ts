import { constants, fdatasync, writeSync } from 'node:fs';
import { mkdir, open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { SwitchboardError } from '../errors.js';
import { silentLogger, type Logger } from '../util/Logger.js';
import type { AppendOptions, Journal, Store } from './Store.js';

/** Options of {@link FileStore}. */
export interface FileStoreOptions {
  /** Directory holding the files; created when missing. */
  readonly dir: string;
  /**
   * Take the directory's lock file so no second process (a second bridge, or `switchboard users`
   * while the bridge runs) writes the same files. A lock left by a dead process is taken over.
   * @defaultValue true
   */
  readonly lock?: boolean;
  readonly logger?: Logger;
}

const keyPattern = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

/**
 * The default store: one JSON file per document (`<key>.json`, replaced by write, fsync, rename,
 * fsync of the directory) and one JSON-lines file per journal (`<name>.jsonl`, appended and
 * fdatasync'ed in group commits).
 */
export class FileStore implements Store {
  readonly dir: string;
  private readonly lock: boolean;
  private readonly logger: Logger;
  private readonly journals = new Map<string, FileJournal>();
  private lockPath: string | undefined;

  constructor(options: FileStoreOptions) {
    if (!options.dir) throw new TypeError('FileStore needs a directory');
    this.dir = options.dir;
    this.lock = options.lock ?? true;
    this.logger = options.logger ?? silentLogger;
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    if (this.lock) this.lockPath = await acquireLock(join(this.dir, 'switchboard.lock'), this.logger);
  }

  async close(): Promise<void> {
    for (const journal of this.journals.values()) await journal.close();
    this.journals.clear();
    if (this.lockPath) {
      await unlink(this.lockPath).catch(() => undefined);
      this.lockPath = undefined;
    }
  }

  async get<T>(key: string): Promise<T | undefined> {
    const path = this.path(key, '.json');
    let raw: string;
    try {
      raw = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return JSON.parse(raw) as T;
    } catch (error) {
      throw new SwitchboardError('STORE_CORRUPT', `${path} is not valid JSON; restore it from a backup or remove it`, {
        cause: error,
      });
    }
  }

  async put(key: string, value: unknown): Promise<void> {
    await writeAtomic(this.dir, this.path(key, '.json'), JSON.stringify(value, null, 2) + '\n');
  }

  journal(name: string): Journal {
    let journal = this.journals.get(name);
    if (!journal) {
      journal = new FileJournal(this.dir, this.path(name, '.jsonl'), this.logger);
      this.journals.set(name, journal);
    }
    return journal;
  }

  private path(key: string, ext: string): string {
    if (!keyPattern.test(key)) throw new TypeError(`"${key}" is not a valid store key`);
    return join(this.dir, key + ext);
  }
}

/** Write a file so that a crash leaves either the old or the new content, never a mix. */
async function writeAtomic(dir: string, path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  // Persist the rename itself. Some file systems refuse fsync on a directory; that is not fatal.
  const handle = await open(dir, constants.O_RDONLY).catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

async function acquireLock(path: string, logger: Logger): Promise<string> {
  for (let tries = 0; tries < 2; tries++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new SwitchboardError(
          'STORE_LOCKED',
          `data directory is in use by process ${owner} (${path}); stop that process first`,
        );
      }
      logger.warn({ path, owner }, 'taking over a stale data-directory lock');
      await unlink(path).catch(() => undefined);
    }
  }
  throw new SwitchboardError('STORE_LOCKED', `could not take the lock ${path}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Appends made while the file is busy, written together by one write (and one fdatasync when any of
 * them is durable). They share one promise: an append is a string pushed here, not a promise and
 * closures of its own, which counts when every reply and every notification makes one.
 */
interface AppendBatch {
  readonly kind: 'append';
  readonly chunks: string[];
  chars: number;
  durable: boolean;
  readonly done: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

type Op = AppendBatch | { kind: 'compact'; snapshot: () => readonly unknown[]; resolve: () => void; reject: (e: unknown) => void };

/** Upper bound of one group commit's write (characters of JSON lines; a single larger append still goes alone). */
const MaxBatchChars = 1 << 20;

class FileJournal implements Journal {
  private handle: FileHandle | undefined;
  private readonly queue: Op[] = [];
  private running = false;

  constructor(
    private readonly dir: string,
    private readonly path: string,
    private readonly logger: Logger,
  ) {}

  private dirty = false;
  /** The newest flush in flight; each flush also waits for the one before, so acknowledgements stay in order. */
  private lastSync: Promise<void> = Promise.resolve();
  private syncsInFlight = 0;

  append(records: readonly unknown[], options?: AppendOptions): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    let data = '';
    for (const record of records) data += JSON.stringify(record) + '\n';
    const durable = options?.durable ?? true;
    // Join the batch still waiting at the tail (one not yet taken by a write), unless it is full.
    const tail = this.queue.at(-1);
    let batch: AppendBatch;
    if (tail?.kind === 'append' && tail.chars + data.length <= MaxBatchChars) {
      batch = tail;
    } else {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      batch = { kind: 'append', chunks: [], chars: 0, durable: false, done, resolve, reject };
      this.queue.push(batch);
    }
    batch.chunks.push(data);
    batch.chars += data.length;
    batch.durable ||= durable;
    this.run();
    return batch.done;
  }

  compact(snapshot: () => readonly unknown[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ kind: 'compact', snapshot, resolve, reject });
      this.run();
    });
  }

  async readAll(): Promise<unknown[]> {
    let raw: string;
    try {
      raw = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const lines = raw.split('\n');
    const records: unknown[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line === '') continue;
      try {
        records.push(JSON.parse(line));
      } catch {
        // Only the last line can be torn by a crash mid-append; anything else is damage worth a warning.
        const last = i >= lines.length - 2;
        this.logger.warn({ path: this.path, line: i + 1, torn: last }, 'skipping unreadable journal record');
      }
    }
    return records;
  }

  async close(): Promise<void> {
    while (this.running) await new Promise((r) => setImmediate(r));
    if (this.dirty) await this.handle?.datasync().catch(() => undefined);
    await this.handle?.close();
    this.handle = undefined;
  }

  /** Group commit: every append queued while a write is in flight goes out in the next single write + fdatasync. */
  private run(): void {
    if (this.running) return;
    this.running = true;
    void this.drain().finally(() => {
      this.running = false;
      if (this.queue.length > 0) this.run();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.kind === 'compact') {
        this.queue.shift();
        await this.lastSync;
        try {
          await this.rewrite(head.snapshot());
          head.resolve();
        } catch (error) {
          head.reject(error);
        }
        continue;
      }
      // One batch per write, at most MaxBatchChars (a single larger record goes alone): an unbounded
      // batch makes its flush (and the write, which blocks the loop) take longer, which lets the next
      // batch grow more.
      this.queue.shift();
      const batch = head;
      try {
        const handle = await this.file();
        // A small append lands in the page cache in microseconds; writing it synchronously (as pino's
        // default destination does) avoids a thread-pool round trip per batch. The slow part, the
        // flush to disk, stays asynchronous below.
        writeSync(handle.fd, batch.chunks.length === 1 ? batch.chunks[0]! : batch.chunks.join(''));
        if (!batch.durable) {
          this.dirty = true;
          batch.resolve();
          continue;
        }
        this.dirty = false;
        // Pipelined group commit: the next batch is written while this one's fdatasync runs (at most
        // two in flight). A flush covers everything written before it; acknowledgements go out in order.
        const previous = this.lastSync;
        const flushed = new Promise<void>((resolve, reject) => fdatasync(handle.fd, (e) => (e ? reject(e) : resolve())));
        const sync = Promise.all([previous, flushed]).then(() => undefined);
        this.lastSync = sync.catch(() => undefined);
        this.syncsInFlight++;
        sync.then(batch.resolve, batch.reject).finally(() => this.syncsInFlight--);
        if (this.syncsInFlight >= 2) await previous;
      } catch (error) {
        batch.reject(error);
      }
    }
    await this.lastSync;
  }

  private async file(): Promise<FileHandle> {
    this.handle ??= await open(this.path, 'a', 0o600);
    return this.handle;
  }

  private async rewrite(records: readonly unknown[]): Promise<void> {
    let content = '';
    for (const record of records) content += JSON.stringify(record) + '\n';
    await this.handle?.close();
    this.handle = undefined;
    await writeAtomic(this.dir, this.path, content);
  }
}
