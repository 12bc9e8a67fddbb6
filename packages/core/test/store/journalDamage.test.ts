import { copyFile, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStore, JournalCorruptError, Outbox } from '@switchboard/core';
import { MemoryAdapter } from '@switchboard/core/testing';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sb-damage-'));
  dirs.push(dir);
  return dir;
}

const record = (i: number) => ({ t: 'a', id: `m${i}`, text: `message number ${i}` });

/** A journal whose live segment is a snapshot of 20 records, followed by `appended` more. */
async function journalWith(appended: number): Promise<{ dir: string; file: string; records: unknown[]; content: Buffer }> {
  const dir = await tempDir();
  const store = new FileStore({ dir });
  await store.open();
  const journal = store.journal('outbox');
  const records = Array.from({ length: 20 }, (_, i) => record(i));
  await journal.append(records);
  await journal.compact(() => records);
  const extra = Array.from({ length: appended }, (_, i) => record(100 + i));
  for (const r of extra) await journal.append([r]);
  await store.close();
  const [file] = (await readdir(dir)).filter((f) => f.endsWith('.jsonl'));
  const content = await readFile(join(dir, file!));
  return { dir, file: file!, records: [...records, ...extra], content };
}

type Outcome = { refused: JournalCorruptError } | { records: unknown[] };

/** Open a copy of `base` with its segment damaged by `damage`, and read the journal back. */
async function reopen(base: { dir: string; file: string }, damage: (path: string) => Promise<void>): Promise<{ outcome: Outcome; dir: string }> {
  const dir = await tempDir();
  await copyFile(join(base.dir, base.file), join(dir, base.file));
  await damage(join(dir, base.file));
  const store = new FileStore({ dir });
  await store.open();
  try {
    return { outcome: { records: await store.journal('outbox').readAll() }, dir };
  } catch (error) {
    if (error instanceof JournalCorruptError) return { outcome: { refused: error }, dir };
    throw error;
  } finally {
    await store.close();
  }
}

async function nul(path: string, at: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[at] = 0;
  await writeFile(path, bytes);
}

describe('a damaged journal never starts empty silently', () => {
  for (const appended of [0, 6]) {
    const kind = appended === 0 ? 'a snapshot segment (as the compaction at load writes it)' : 'a snapshot followed by appended records';

    it(`${kind}: tearing it at each of its last 200 bytes loses nothing acknowledged, or refuses to start`, async () => {
      const base = await journalWith(appended);
      const length = base.content.length;
      let refusals = 0;
      for (let at = Math.max(0, length - 200); at < length; at++) {
        const { outcome, dir } = await reopen(base, (path) => truncate(path, at));
        if ('refused' in outcome) {
          refusals++;
          expect(outcome.refused.message).toContain(`at byte ${outcome.refused.offset}`);
          expect((await readdir(dir)).some((f) => f.endsWith('.jsonl.corrupt'))).toBe(true);
          continue;
        }
        // What a tear physically removed from the appended records is all that may be missing
        // (a crash tears only a record whose flush had not returned); the snapshot is whole.
        const kept = base.records.filter((r, i) => i < 20 || base.content.indexOf(JSON.stringify(r)) + JSON.stringify(r).length <= at);
        expect(outcome.records).toEqual(kept);
      }
      // Cutting into the snapshot's records is damage, not a crash: those starts are refused.
      if (appended === 0) expect(refusals).toBeGreaterThan(0);
    });

    it(`${kind}: a zero byte at each of its last 200 bytes loses nothing, or refuses to start`, async () => {
      const base = await journalWith(appended);
      const length = base.content.length;
      for (let at = Math.max(0, length - 200); at < length; at++) {
        const { outcome } = await reopen(base, (path) => nul(path, at));
        if ('refused' in outcome) continue;
        expect(outcome.records).toEqual(base.records);
      }
    });
  }

  it('after repairing a torn end, appends go on and read back', async () => {
    const base = await journalWith(0);
    const { outcome, dir } = await reopen(base, (path) => truncate(path, base.content.length - 3));
    expect(outcome).toEqual({ records: base.records });
    const store = new FileStore({ dir });
    await store.open();
    await store.journal('outbox').append([record(999)]);
    await store.close();
    const again = new FileStore({ dir });
    await again.open();
    expect(await again.journal('outbox').readAll()).toEqual([...base.records, record(999)]);
    await again.close();
  });

  it('refuses an outbox whose snapshot lost records, names the file and offset, and starts empty only after that', async () => {
    const dir = await tempDir();
    // u0's messages are delivered; the rest wait for a window, as QQ pages do.
    const deferring = () => new MemoryAdapter({ respond: (r) => (r.to.id === 'u0' ? { type: 'delivered' } : { type: 'deferred', reason: 'no window' }) });
    const first = new FileStore({ dir });
    await first.open();
    const outbox = new Outbox({ store: first });
    outbox.registerAdapter(deferring());
    outbox.start();
    for (let i = 0; i < 50; i++) await outbox.enqueue({ to: { platform: 'memory', kind: 'dm', id: `u${i % 7}` }, text: `page ${i}` });
    await new Promise((r) => setTimeout(r, 50));
    await outbox.stop();
    await first.close();
    // The restart compacts at load into a snapshot segment.
    const second = new FileStore({ dir });
    await second.open();
    const again = new Outbox({ store: second });
    const pending = await again.load();
    expect(pending).toBe(42);
    await second.close();
    const [segment] = (await readdir(dir)).filter((f) => f.endsWith('.jsonl') && f.startsWith('outbox'));
    const bytes = await readFile(join(dir, segment!));
    // Cut a whole record off the snapshot at a line boundary, end line and all.
    const cut = bytes.lastIndexOf(0x0a, bytes.lastIndexOf(0x0a, bytes.length - 2) - 1) + 1;
    await truncate(join(dir, segment!), cut);
    const third = new FileStore({ dir });
    await third.open();
    const damaged = new Outbox({ store: third });
    const error = await damaged.load().catch((e: unknown) => e);
    await third.close();
    // Either every message is there or the start is refused naming where.
    if (!(error instanceof JournalCorruptError)) throw new Error(`expected a refusal, got ${String(error)}`);
    expect(error.message).toMatch(new RegExp(`outbox\\.\\d+\\.jsonl is damaged at byte \\d+`));
    expect(error.message).toContain('.corrupt');
    const fourth = new FileStore({ dir });
    await fourth.open();
    const fresh = new Outbox({ store: fourth });
    expect(await fresh.load()).toBe(0);
    await fourth.close();
    expect((await readdir(dir)).filter((f) => f.endsWith('.corrupt'))).toHaveLength(1);
  });
});
