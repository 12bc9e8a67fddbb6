import { fdatasync, writeSync } from 'node:fs';
import { open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { errorInfo, type Logger } from '../util/Logger.js';
import { detach } from '../util/detach.js';
import { sleep } from '../util/sleep.js';
import { syncDir } from './files.js';
import { JournalCorruptError, jsonLines, parseSegment, repairTail, snapshotText, type ParsedSegment, type SegmentProblem } from './journalSegment.js';
import type { AppendOptions, Journal } from './Store.js';

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

/** What waits for a flush: a batch of appends, or a compaction's snapshot. */
interface Awaiting {
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

interface Compaction extends Awaiting {
  readonly kind: 'compact';
  readonly snapshot: () => readonly unknown[];
}

type Op = AppendBatch | Compaction;

/** One segment file and its open handle. */
interface Segment {
  readonly n: number;
  readonly path: string;
  readonly handle: FileHandle;
  /** Its fdatasync calls not yet returned (it is closed only when none are). */
  flushing: number;
}

/**
 * fdatasync calls allowed in flight at once. They run on libuv's thread pool (four threads by
 * default), which file reads and DNS lookups share; one thread is left for those.
 */
const MaxFlushesInFlight = 3;

/** How much of a replaced segment is cut off at a time, and the pause in between (see `retire`). */
const RetireStep = 1 << 20;
const RetirePauseMs = 10;

/** Upper bound of one group commit's write (characters of JSON lines; a single larger append still goes alone). */
const MaxBatchChars = 1 << 20;


/**
 * A journal kept as JSON-lines segment files, `<name>.<n>.jsonl`.
 *
 * Appends go to the newest segment in group commits: the appends of one event-loop turn share one
 * write and one fdatasync, and resolve once a flush that covers them returns.
 *
 * A compaction never stops appends. It writes the snapshot at the head of a new segment (created
 * and made durable in its directory beforehand) between a `#snapshot N` header and a
 * {@link SnapshotEnd} line, and appends go on in the new segment at once. Once a flush of the new
 * segment returns, the old one is deleted. At open, the live segment is the newest whose snapshot is
 * whole; a newer one cut off by a crash is discarded (nothing written after its snapshot was
 * acknowledged, as every flush covers the snapshot before it), but only while the segment it was
 * replacing is still there. A record torn off the end by a crash is cut off. Any other damage (an
 * unreadable line, a snapshot missing records with nothing older to fall back to) refuses the open
 * with a {@link JournalCorruptError}, after moving the files aside: never a silent empty start.
 */
export class FileJournal implements Journal {
  private readonly queue: Op[] = [];
  private running = false;
  private opened: Promise<Segment> | undefined;
  /** The segment appends go to (set once {@link opened} resolved). */
  private segment: Segment | undefined;
  /** The next segment, created ahead of the compaction that will fill it. */
  private spare: Promise<Segment> | undefined;
  /** Written since the last flush was issued. */
  private dirty = false;
  /** Durable batches and compactions written and not yet known to be on disk, oldest first. */
  private readonly unflushed: Awaiting[] = [];
  private flushesInFlight = 0;
  /** Called when a flush returns (a slot frees up, or a segment's last flush settled). */
  private readonly flushWaiters: (() => void)[] = [];
  /** Segments replaced by compactions, being cut down and deleted. */
  private retiring: Promise<void> = Promise.resolve();
  /** Aborted by {@link close}: the segments being retired then go at once. */
  private closing = new AbortController();

  constructor(
    private readonly dir: string,
    private readonly name: string,
    private readonly logger: Logger,
  ) {}

  append(records: readonly unknown[], options?: AppendOptions): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const data = jsonLines(records);
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
    await this.open();
    const segment = this.segment!;
    return parseSegment(await readFile(segment.path)).records;
  }

  async close(): Promise<void> {
    while (this.running) await new Promise((r) => setImmediate(r));
    await this.flushesReturned(0);
    this.closing.abort();
    await this.retiring;
    this.closing = new AbortController();
    const segment = this.segment;
    if (segment && this.dirty) await segment.handle.datasync().catch(() => undefined);
    await segment?.handle.close();
    await this.discardSpare();
    this.segment = this.opened = undefined;
  }

  /** The live segment, found (and the directory tidied) on first use. */
  private open(): Promise<Segment> {
    this.opened ??= this.findLive().then(
      (segment) => (this.segment = segment),
      (error: unknown) => {
        // Tried again by the next call.
        this.opened = undefined;
        throw error;
      },
    );
    return this.opened;
  }

  private async findLive(): Promise<Segment> {
    // Journal names have no dots or other pattern characters (FileStore checks them).
    const pattern = new RegExp(`^${this.name}\\.(\\d+)\\.jsonl$`);
    const found: { n: number; file: string }[] = [];
    for (const file of await readdir(this.dir)) {
      const match = pattern.exec(file);
      if (match) found.push({ n: Number(match[1]), file });
    }
    found.sort((a, b) => b.n - a.n);
    const parsed: { n: number; file: string; content: Buffer; segment: ParsedSegment }[] = [];
    for (const candidate of found) {
      const content = await readFile(join(this.dir, candidate.file));
      parsed.push({ ...candidate, content, segment: parseSegment(content) });
    }
    // The live segment is the newest whose snapshot is whole. A newer one is a compaction a crash
    // cut short, which is safe to drop only because the segment it was replacing is still there
    // (a compacted segment is deleted only after the new one's snapshot is on disk).
    const liveAt = parsed.findIndex((p) => p.segment.complete);
    const newer = liveAt === -1 ? parsed : parsed.slice(0, liveAt);
    const damaged = liveAt === -1 ? newer.find((p) => p.content.length > 0) : undefined;
    if (damaged) {
      // Nothing older to fall back to: this was the journal, and part of it is unreadable.
      throw await this.quarantine(damaged.file, damaged.segment.problem ?? { offset: damaged.content.length, what: 'its snapshot has no end' });
    }
    for (const stale of newer) {
      if (stale.content.length > 0) this.logger.warn({ file: stale.file }, 'discarding a journal segment cut off by a crash during compaction');
      await unlink(join(this.dir, stale.file));
    }
    const live = parsed[liveAt];
    if (live) {
      // Anything unreadable in the live segment other than a torn last record is damage, not a crash.
      if (live.segment.problem) throw await this.quarantine(live.file, live.segment.problem);
      for (const older of parsed.slice(liveAt + 1)) await unlink(join(this.dir, older.file));
      const path = join(this.dir, live.file);
      await repairTail(path, live.segment, this.logger);
      return { n: live.n, path, handle: await open(path, 'a', 0o600), flushing: 0 };
    }
    const first = await this.create(1);
    writeSync(first.handle.fd, snapshotText([]));
    await first.handle.datasync();
    return first;
  }

  /**
   * Move this journal's segments aside (`<file>.corrupt`) and say where it is damaged and what to
   * do: the next start begins with an empty journal unless the file is repaired and put back.
   */
  private async quarantine(file: string, problem: SegmentProblem): Promise<JournalCorruptError> {
    const pattern = new RegExp(`^${this.name}\\.(\\d+)\\.jsonl$`);
    const moved: string[] = [];
    for (const each of await readdir(this.dir)) {
      if (!pattern.test(each)) continue;
      await rename(join(this.dir, each), join(this.dir, `${each}.corrupt`));
      moved.push(`${each}.corrupt`);
    }
    await syncDir(this.dir);
    const error = new JournalCorruptError(join(this.dir, file), problem.offset, problem.what, moved);
    this.logger.error({ file: error.file, offset: problem.offset, moved }, error.message);
    return error;
  }

  /** A new, empty segment file whose directory entry is on disk. */
  private async create(n: number): Promise<Segment> {
    const path = join(this.dir, `${this.name}.${n}.jsonl`);
    const handle = await open(path, 'wx', 0o600);
    await syncDir(this.dir);
    return { n, path, handle, flushing: 0 };
  }

  /** Make the segment after the live one, so that a compaction finds it ready. */
  private prepareSpare(after: Segment): Promise<Segment> {
    const spare = this.create(after.n + 1);
    spare.catch(() => undefined);
    return spare;
  }

  /**
   * Group commit. Writing starts on the next turn of the event loop, so the appends of this one (the
   * replies of one burst of commands, say) go out in one write and one flush; appends made while
   * the flushes in flight fill the thread pool gather the same way.
   */
  private run(): void {
    if (this.running) return;
    this.running = true;
    setImmediate(() =>
      detach(
        this.drain().finally(() => {
          this.running = false;
          if (this.queue.length > 0) this.run();
        }),
        (error) => this.logger.error(errorInfo(error), 'journal writer failed'),
      ),
    );
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      let segment: Segment;
      try {
        segment = this.segment ?? (await this.open());
        this.spare ??= this.prepareSpare(segment);
        if (head.kind === 'compact') await this.switchTo(await this.spare);
      } catch (error) {
        this.queue.shift();
        head.reject(error);
        // A spare that could not be made, or that a failed compaction wrote to, is made again.
        if (head.kind === 'compact') await this.discardSpare();
        continue;
      }
      if (head.kind === 'compact') continue;
      // Taken only now, with the appends that joined it meanwhile. One batch per write, at most
      // MaxBatchChars (a single larger record goes alone): an unbounded batch makes its flush (and
      // the write, which blocks the loop) take longer, which lets the next batch grow more.
      this.queue.shift();
      const batch = head;
      try {
        // A small append lands in the page cache in microseconds; writing it synchronously (as pino's
        // default destination does) avoids a thread-pool round trip per batch. The slow part, the
        // flush to disk, stays asynchronous below.
        writeSync(segment.handle.fd, batch.chunks.length === 1 ? batch.chunks[0]! : batch.chunks.join(''));
        if (!batch.durable) {
          this.dirty = true;
          batch.resolve();
          continue;
        }
        this.flush(segment, batch);
        // While the flushes in flight hold the thread pool, appends gather into the next batch.
        await this.flushesReturned(MaxFlushesInFlight - 1);
      } catch (error) {
        batch.reject(error);
      }
    }
  }

  /**
   * Run the compaction at the head of the queue: its snapshot (taken now, after every earlier append
   * was written) heads `next`, where appends go from now on. The old segment goes once a flush of
   * the new one returns.
   */
  private async switchTo(next: Segment): Promise<void> {
    const compaction = this.queue[0] as Compaction;
    const records = compaction.snapshot();
    writeSync(next.handle.fd, snapshotText(records));
    // Only now is the compaction taken: if anything above threw, the caller rejects it.
    this.queue.shift();
    const old = this.segment!;
    this.segment = next;
    this.spare = this.prepareSpare(next);
    const done = new Promise<void>((resolve, reject) => this.flush(next, { resolve, reject }));
    done.then(compaction.resolve, compaction.reject);
    const retired = done.then(
      () => this.retire(old),
      () => undefined,
    );
    this.retiring = Promise.all([this.retiring, retired]).then(() => undefined);
    await this.flushesReturned(MaxFlushesInFlight - 1);
  }

  /** Close and delete the spare segment, if one was made (or is being made). */
  private async discardSpare(): Promise<void> {
    const making = this.spare;
    // At once, so that nothing takes it up meanwhile.
    this.spare = undefined;
    const spare = await making?.catch(() => undefined);
    if (!spare) return;
    await spare.handle.close().catch(() => undefined);
    await unlink(spare.path).catch(() => undefined);
  }

  /** Close and delete a segment a compaction replaced, once its own flushes returned. */
  private async retire(old: Segment): Promise<void> {
    while (old.flushing > 0) await new Promise<void>((resolve) => this.flushWaiters.push(resolve));
    try {
      // Freeing a file's blocks is disk work (about a millisecond per MiB on a disk mounted with
      // online discard, as measured here) that slows the flushes running at the same time. Cut off
      // a little at a time with pauses in between, the cost is spread thin; unless closing.
      let size = (await old.handle.stat()).size;
      while (size > RetireStep && (await sleep(RetirePauseMs, this.closing.signal))) {
        size -= RetireStep;
        await old.handle.truncate(size);
      }
      await old.handle.close();
      await unlink(old.path);
    } catch (error) {
      // Harmless: the next open picks the newer segment and deletes this one.
      this.logger.warn({ ...errorInfo(error), path: old.path }, 'could not delete a compacted journal segment');
    }
  }

  /**
   * Pipelined group commit: each batch's fdatasync is issued as soon as it is written, without
   * waiting for the flushes before it. A flush that returns covers everything written to its
   * segment before it was issued (fdatasync's contract), and the snapshot at the head of a segment
   * stands for everything written to the segments before; so it acknowledges its own batch and
   * every earlier one still waiting, in order. One slow flush (the disk's occasional stall) then
   * holds back only the batches no later flush has covered yet, not every batch queued behind it.
   */
  private flush(segment: Segment, waiting: Awaiting): void {
    this.dirty = false;
    this.unflushed.push(waiting);
    this.flushesInFlight++;
    segment.flushing++;
    fdatasync(segment.handle.fd, (error) => {
      this.flushesInFlight--;
      segment.flushing--;
      if (error) {
        // Which pages failed to reach the disk is unknown (and a later flush may not report it
        // again), so nothing waiting is acknowledged: every such append fails with this error.
        for (const each of this.unflushed.splice(0)) each.reject(error);
      } else {
        // Empty when a later flush already covered this one.
        for (const each of this.unflushed.splice(0, this.unflushed.indexOf(waiting) + 1)) each.resolve();
      }
      for (const wake of this.flushWaiters.splice(0)) wake();
    });
  }

  /** Resolves once at most `count` flushes are in flight. */
  private async flushesReturned(count: number): Promise<void> {
    while (this.flushesInFlight > count) await new Promise<void>((resolve) => this.flushWaiters.push(resolve));
  }
}
