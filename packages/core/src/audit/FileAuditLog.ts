import { mkdir, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir } from '../store/files.js';
import { errorInfo, silentLogger, type Logger } from '../util/Logger.js';
import { pick, type AuditEntry, type AuditLog, type AuditQuery } from './AuditLog.js';

/** Options of {@link FileAuditLog}. */
export interface FileAuditLogOptions {
  /** The data directory. */
  readonly dir: string;
  /** Past this size the file is rotated (`audit.jsonl` → `audit.1.jsonl` …). @defaultValue 10 MiB */
  readonly maxBytes?: number;
  /** Rotated files kept besides the current one. @defaultValue 5 */
  readonly keep?: number;
  readonly logger?: Logger;
}

/** Defaults of {@link FileAuditLogOptions}. */
export const DefaultAuditFiles = { maxBytes: 10 * 1024 * 1024, keep: 5 } as const;

interface Waiting {
  readonly line: string;
  readonly done: (error?: unknown) => void;
}

/**
 * The audit log as JSON lines in the data directory (`audit.jsonl`, mode 0600). Appends are
 * written and fsync'd before they resolve; appends made while a write is under way go out together
 * in the next one (one fsync for all). Rotated by size, keeping `keep` older files.
 */
export class FileAuditLog implements AuditLog {
  private readonly file: string;
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly logger: Logger;
  private handle: FileHandle | undefined;
  private size = 0;
  private queue: Waiting[] = [];
  private writing: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: FileAuditLogOptions) {
    this.file = join(options.dir, 'audit.jsonl');
    this.maxBytes = options.maxBytes ?? DefaultAuditFiles.maxBytes;
    this.keep = options.keep ?? DefaultAuditFiles.keep;
    this.logger = options.logger ?? silentLogger;
    if (!(this.maxBytes >= 1024)) throw new RangeError('the audit log needs maxBytes of at least 1024');
    if (!(this.keep >= 0 && Number.isInteger(this.keep))) throw new RangeError('the audit log keep must be a whole number');
  }

  /** Where the entries are kept: the current file. */
  get location(): string {
    return this.path;
  }

  /** The current file (rotated ones are `audit.N.jsonl` beside it). */
  get path(): string {
    return this.file;
  }

  append(entry: AuditEntry): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the audit log is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ line: `${JSON.stringify(entry)}\n`, done: (error) => (error === undefined ? resolve() : reject(error as Error)) });
      this.writing ??= this.drain();
    });
  }

  async latest(query: AuditQuery = {}): Promise<AuditEntry[]> {
    await this.writing;
    const limit = query.limit ?? 20;
    let found: AuditEntry[] = [];
    for (let n = 0; n <= this.keep && found.length < limit; n++) {
      const entries = await this.readFile(n === 0 ? this.file : this.rotated(n));
      if (entries === undefined) break;
      found = [...pick(entries, { ...query, limit: limit - found.length }), ...found];
    }
    return found;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.writing;
    await this.handle?.close();
    this.handle = undefined;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          await this.write(batch.map((w) => w.line).join(''));
          for (const w of batch) w.done();
        } catch (error) {
          this.logger.error(errorInfo(error), 'could not write the audit log');
          for (const w of batch) w.done(error);
        }
      }
    } finally {
      this.writing = undefined;
    }
  }

  private async write(text: string): Promise<void> {
    if (!this.handle) {
      await mkdir(this.options.dir, { recursive: true, mode: 0o700 });
      const existed = await exists(this.file);
      this.handle = await open(this.file, 'a+', 0o600);
      this.size = (await this.handle.stat()).size;
      if (!existed) await syncDir(this.options.dir);
      else if (this.size > 0) {
        // A crash mid-write left a torn last line: end it, so the next entry starts a line of its own.
        const last = Buffer.alloc(1);
        await this.handle.read(last, 0, 1, this.size - 1);
        if (last[0] !== 0x0a) text = `\n${text}`;
      }
    }
    const bytes = Buffer.byteLength(text);
    if (this.size > 0 && this.size + bytes > this.maxBytes) await this.rotate();
    await this.handle!.write(text);
    await this.handle!.datasync();
    this.size += bytes;
  }

  private async rotate(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    if (this.keep === 0) await rm(this.file, { force: true });
    else {
      await rm(this.rotated(this.keep), { force: true });
      for (let n = this.keep - 1; n >= 1; n--) {
        const from = this.rotated(n);
        if (await exists(from)) await rename(from, this.rotated(n + 1));
      }
      await rename(this.file, this.rotated(1));
    }
    await syncDir(this.options.dir);
    this.handle = await open(this.file, 'a', 0o600);
    this.size = 0;
  }

  private rotated(n: number): string {
    return join(this.options.dir, `audit.${n}.jsonl`);
  }

  /** A file's entries; a torn or foreign line is skipped. undefined when the file does not exist. */
  private async readFile(path: string): Promise<AuditEntry[] | undefined> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const entries: AuditEntry[] = [];
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        const entry = JSON.parse(line) as AuditEntry;
        if (entry && typeof entry.command === 'string' && typeof entry.actor === 'string') entries.push(entry);
      } catch {
        // A crash mid-write leaves a torn last line.
      }
    }
    return entries;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The audit log of a config's data directory, with its `audit:` size and rotation. */
export function configuredAuditLog(core: { readonly dataDir: string; readonly audit: { readonly maxBytes: number; readonly keep: number } }, logger?: Logger): FileAuditLog {
  return new FileAuditLog({ dir: core.dataDir, maxBytes: core.audit.maxBytes, keep: core.audit.keep, ...(logger ? { logger } : {}) });
}
