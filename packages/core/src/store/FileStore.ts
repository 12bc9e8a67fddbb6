import { access, constants, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SwitchboardError } from '../errors.js';
import { silentLogger, type Logger } from '../util/Logger.js';
import { FileJournal } from './FileJournal.js';
import { writeAtomic } from './files.js';
import type { Journal, Store } from './Store.js';
import { assertJournalName, assertStoreKey } from './names.js';

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

/**
 * The default store: one JSON file per document (`<key>.json`, replaced by write, fsync, rename,
 * fsync of the directory) and JSON-lines segment files per journal (`<name>.<n>.jsonl`, appended
 * and fdatasync'ed in group commits; see {@link FileJournal}).
 */
export class FileStore implements Store {
  readonly dir: string;
  private readonly lock: boolean;
  private readonly logger: Logger;
  private readonly journals = new Map<string, FileJournal>();
  private lockPath: string | undefined;
  private opened = false;

  constructor(options: FileStoreOptions) {
    if (!options.dir) throw new TypeError('FileStore needs a directory');
    this.dir = options.dir;
    this.lock = options.lock ?? true;
    this.logger = options.logger ?? silentLogger;
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    if (this.lock) this.lockPath = await acquireLock(join(this.dir, 'switchboard.lock'), this.logger);
    this.opened = true;
  }

  /** Open, and the directory still there and writable. */
  async check(): Promise<void> {
    if (!this.opened) throw new Error('the file store is not open');
    try {
      await access(this.dir, constants.W_OK);
    } catch (error) {
      throw new Error(`the data directory ${this.dir} is not writable: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }

  async close(): Promise<void> {
    this.opened = false;
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
      assertJournalName(name);
      journal = new FileJournal(this.dir, name, this.logger);
      this.journals.set(name, journal);
    }
    return journal;
  }

  private path(key: string, ext: string): string {
    assertStoreKey(key);
    return join(this.dir, key + ext);
  }
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
