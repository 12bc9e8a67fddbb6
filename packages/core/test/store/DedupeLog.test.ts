import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DedupeLog, FileStore, type Journal } from '@switchboard/core';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function store(): Promise<{ open: () => Promise<FileStore>; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'sb-dedupe-'));
  dirs.push(dir);
  return {
    dir,
    open: async () => {
      const s = new FileStore({ dir });
      await s.open();
      return s;
    },
  };
}

describe('DedupeLog', () => {
  it('remembers ids across a restart of the store', async () => {
    const { open } = await store();
    let s = await open();
    const log = new DedupeLog(s.journal('seen'), { maxAgeMs: 60_000, maxSize: 100 });
    await log.load();
    expect(await log.admit('a')).toBe(true);
    expect(await log.admit('a')).toBe(false);
    await s.close();
    s = await open();
    const again = new DedupeLog(s.journal('seen'), { maxAgeMs: 60_000, maxSize: 100 });
    await again.load();
    expect(await again.admit('a')).toBe(false);
    expect(await again.admit('b')).toBe(true);
    await s.close();
  });

  it('forgets ids past their age and beyond its size, and compacts as it goes', async () => {
    const { open, dir } = await store();
    const s = await open();
    let now = 1_000_000;
    const log = new DedupeLog(s.journal('seen'), { maxAgeMs: 10_000, maxSize: 1500, now: () => now });
    await log.load();
    expect(await log.admit('old')).toBe(true);
    now += 10_001;
    expect(log.has('old')).toBe(false);
    for (let i = 0; i < 3000; i++) await log.admit(`id${i}`);
    await log.settled();
    expect(log.size).toBeLessThanOrEqual(1500);
    expect(log.has('id2999')).toBe(true);
    expect(log.has('id0')).toBe(false);
    await s.close();
    // Compaction kept the journal to about what is remembered, not all 3,001 ids.
    const reopened = await open();
    const records = await reopened.journal('seen').readAll();
    expect(records.length).toBeLessThan(3001);
    expect((await readdir(dir)).filter((f) => f.startsWith('seen.')).length).toBe(1);
    await reopened.close();
  });

  it('forgets an id again when it could not be stored, so the retry of that event is admitted', async () => {
    let fail = true;
    const journal: Journal = {
      append: () => (fail ? Promise.reject(new Error('disk full')) : Promise.resolve()),
      readAll: () => Promise.resolve([]),
      compact: () => Promise.resolve(),
    };
    const log = new DedupeLog(journal, { maxAgeMs: 60_000, maxSize: 10 });
    await expect(log.admit('x')).rejects.toThrow('disk full');
    fail = false;
    expect(await log.admit('x')).toBe(true);
  });
});
