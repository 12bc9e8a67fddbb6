import { open, truncate } from 'node:fs/promises';
import { SwitchboardError } from '../errors.js';
import type { Logger } from '../util/Logger.js';

/*
 * The format of one journal segment file (see FileJournal): how it is written, read back, judged
 * whole or damaged, and repaired. No state: FileJournal decides what to do with the answers.
 */

/**
 * The line that ends a segment's snapshot, with the number of records before it. No JSON value
 * starts with `#`, so it cannot be mistaken for a record.
 */
export const SnapshotEnd = '#compacted ';

/** The line that starts a segment's snapshot, with the number of records in it. */
export const SnapshotStart = '#snapshot ';

/** Records as JSON lines, each ended by a newline. */
export function jsonLines(records: readonly unknown[]): string {
  let lines = '';
  for (const record of records) lines += JSON.stringify(record) + '\n';
  return lines;
}

/** The head of a segment: how many records its snapshot holds, the records, and its end line. */
export function snapshotText(records: readonly unknown[]): string {
  return `${SnapshotStart}${records.length}\n${jsonLines(records)}${SnapshotEnd}${records.length}\n`;
}

/** Where a segment is damaged, by byte offset. */
export interface SegmentProblem {
  readonly offset: number;
  readonly what: string;
}

/** What reading a segment found. */
export interface ParsedSegment {
  readonly records: unknown[];
  /** Its snapshot is whole: every record it counts is there (its end line, or its header, says so). */
  readonly complete: boolean;
  /** How to make the file fit for appending again: cut it at `at` and write `append` there. */
  readonly repair?: { readonly at: number; readonly append: string; readonly why: string };
  /** The first damage that is not a crash's torn last record. */
  readonly problem?: SegmentProblem;
}

/**
 * Read a segment: a `#snapshot N` header, N records, a `#compacted N` end line, then appended
 * records. A last line without its newline was being written when the process died: a whole record
 * there (its newline lost, or zeros after it) is kept, a partial one cut off (it was never
 * acknowledged: its flush had not returned). Any other unreadable line is damage. A snapshot whose
 * end line is torn, damaged or missing is still whole when the header's count of records is there.
 */
export function parseSegment(content: Buffer): ParsedSegment {
  const records: unknown[] = [];
  let counted: number | undefined;
  let ended = false;
  /** Where the end line should go when it is missing or damaged. */
  let endAt: number | undefined;
  let repair: { at: number; append: string; why: string } | undefined;
  let problem: SegmentProblem | undefined;
  const inSnapshot = (): boolean => !ended && counted !== undefined;
  let start = 0;
  while (start < content.length && problem === undefined) {
    const newline = content.indexOf(0x0a, start);
    const terminated = newline !== -1;
    const end = terminated ? newline : content.length;
    const at = start;
    start = end + 1;
    const raw = content.toString('utf8', at, end);
    // Zeros are what a file system leaves in blocks a crash did not fill.
    const line = terminated ? raw : trimZeros(raw);
    if (line === '') {
      if (!terminated) repair = { at, append: '', why: 'zeros left by a crash' };
      continue;
    }
    if (at === 0 && line.startsWith(SnapshotStart)) {
      const n = Number(line.slice(SnapshotStart.length));
      if (terminated && Number.isSafeInteger(n) && n >= 0) counted = n;
      else problem = { offset: at, what: 'the snapshot header is unreadable' };
      continue;
    }
    if (line.startsWith('#')) {
      if (ended) {
        if (terminated) problem = { offset: at, what: 'an unreadable record' };
        else repair = { at, append: '', why: 'a record torn by a crash' };
        continue;
      }
      const n = line.startsWith(SnapshotEnd) ? Number(line.slice(SnapshotEnd.length)) : NaN;
      const whole = counted === undefined ? n === records.length : records.length === counted;
      if (whole && terminated && (counted === undefined || n === counted)) {
        ended = true;
      } else if (whole && counted !== undefined) {
        // A torn or damaged end line after every record the header counts. Torn off the end, it is
        // written again; damaged in place (with records after it), it is read past as it is.
        ended = true;
        if (!terminated) endAt = at;
      } else {
        problem = { offset: at, what: `the snapshot should hold ${counted ?? n} records; ${records.length} are readable` };
      }
      continue;
    }
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      if (terminated) problem = { offset: at, what: 'an unreadable record' };
      else if (inSnapshot()) problem = { offset: at, what: 'a snapshot record is cut off' };
      else repair = { at, append: '', why: 'a record torn by a crash' };
      continue;
    }
    records.push(record);
    if (!terminated) repair = { at: at + Buffer.byteLength(line), append: '\n', why: 'a whole record whose newline was lost' };
  }
  if (problem === undefined && inSnapshot()) {
    if (records.length === counted) {
      // Only the end line is missing: every record the header counts is there.
      ended = true;
      endAt ??= repair?.append === '\n' ? repair.at + 1 : content.length;
    } else {
      problem = { offset: content.length, what: `the snapshot should hold ${counted} records; the file ends after ${records.length}` };
    }
  }
  if (endAt !== undefined) {
    const prefix = repair?.append === '\n' && repair.at < endAt ? '\n' : '';
    repair = { at: Math.min(endAt, repair?.at ?? endAt), append: `${prefix}${SnapshotEnd}${records.length}\n`, why: 'the snapshot’s end line was damaged; every record it counts is there' };
  }
  return { records, complete: ended, ...(repair ? { repair } : {}), ...(problem ? { problem } : {}) };
}

/** `text` without the NUL characters at its end. */
function trimZeros(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0) end--;
  return text.slice(0, end);
}

/** Make the live segment fit for appending: cut off what a crash tore and write back what it lost. */
export async function repairTail(path: string, segment: ParsedSegment, logger: Logger): Promise<void> {
  const { repair } = segment;
  if (!repair) return;
  logger.warn({ path, offset: repair.at }, `repairing the end of a journal segment: ${repair.why}`);
  await truncate(path, repair.at);
  if (repair.append === '') return;
  const handle = await open(path, 'a', 0o600);
  try {
    await handle.write(repair.append);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** A journal whose newest data cannot be read safely: moved aside, and the start refused. */
export class JournalCorruptError extends SwitchboardError {
  constructor(
    readonly file: string,
    readonly offset: number,
    what: string,
    readonly moved: readonly string[],
  ) {
    super(
      'JOURNAL_CORRUPT',
      `the journal ${file} is damaged at byte ${offset} (${what}), so accepted messages may be missing. ` +
        `Its files were moved aside (${moved.join(', ')}) and nothing was started. To recover, repair the ` +
        `file at that offset and rename it back without ".corrupt"; starting again without them begins with an empty journal.`,
    );
  }
}
