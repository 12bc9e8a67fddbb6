import { spawnSync } from 'node:child_process';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FileStore, silentLogger, SwitchboardError } from '@switchboard/core';

let dir: string;
const stores: FileStore[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-store-'));
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

const journalFiles = async () => (await readdir(dir)).filter((f) => f.endsWith('.jsonl')).sort();

async function open(options: { lock?: boolean } = {}): Promise<FileStore> {
  const store = new FileStore({ dir, ...options });
  await store.open();
  stores.push(store);
  return store;
}

describe('FileStore', () => {
  it('replaces documents atomically and leaves no temporary files', async () => {
    const store = await open();
    expect(await store.get('directory')).toBeUndefined();
    await store.put('directory', { users: [1] });
    await store.put('directory', { users: [1, 2] });
    expect(await store.get('directory')).toEqual({ users: [1, 2] });
    expect((await readdir(dir)).sort()).toEqual(['directory.json', 'switchboard.lock']);
  });

  it('names the file when a document is damaged', async () => {
    const store = await open();
    await writeFile(join(dir, 'directory.json'), '{"users": [');
    const error = await store.get('directory').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SwitchboardError);
    expect((error as SwitchboardError).message).toContain('directory.json is not valid JSON');
  });

  it('rejects keys that would escape the directory', async () => {
    const store = await open();
    await expect(store.put('../evil', 1)).rejects.toThrow(TypeError);
  });

  it('appends journal records in order under concurrency, durably across reopen', async () => {
    const store = await open();
    const journal = store.journal('outbox');
    await Promise.all(Array.from({ length: 500 }, (_, i) => journal.append([{ i }])));
    await store.close();
    stores.length = 0;
    const again = await open();
    const records = (await again.journal('outbox').readAll()) as { i: number }[];
    expect(records.map((r) => r.i)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  it('skips a record torn by a crash mid-write', async () => {
    const store = await open();
    await store.journal('outbox').append([{ a: 1 }, { a: 2 }]);
    await appendFile(join(dir, 'outbox.1.jsonl'), '{"a":3,"tor');
    expect(await store.journal('outbox').readAll()).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('cuts a torn record off before appending after a restart, so the next record stays readable', async () => {
    const store = await open();
    await store.journal('outbox').append([{ a: 1 }]);
    await store.close();
    stores.length = 0;
    await appendFile(join(dir, 'outbox.1.jsonl'), '{"a":2,"tor');
    const again = await open();
    await again.journal('outbox').append([{ a: 3 }]);
    expect(await again.journal('outbox').readAll()).toEqual([{ a: 1 }, { a: 3 }]);
  });

  it('compacts a journal to a snapshot taken after earlier appends', async () => {
    const store = await open();
    const journal = store.journal('outbox');
    const pending = new Set([1, 2, 3]);
    const first = journal.append([{ id: 1 }, { id: 2 }, { id: 3 }]);
    pending.delete(2);
    await journal.compact(() => [...pending].map((id) => ({ id })));
    await first;
    await journal.append([{ id: 4 }]);
    expect(await journal.readAll()).toEqual([{ id: 1 }, { id: 3 }, { id: 4 }]);
    expect(await readFile(join(dir, 'outbox.2.jsonl'), 'utf8')).toBe('#snapshot 2\n{"id":1}\n{"id":3}\n#compacted 2\n{"id":4}\n');
    await store.close();
    stores.length = 0;
    expect(await journalFiles()).toEqual(['outbox.2.jsonl']);
    expect(await (await open()).journal('outbox').readAll()).toEqual([{ id: 1 }, { id: 3 }, { id: 4 }]);
  });

  it('cuts a replaced segment down a little at a time before deleting it, or at once when closing', async () => {
    const store = await open();
    const journal = store.journal('outbox');
    const big = 'x'.repeat(1000);
    for (let i = 0; i < 4; i++) await journal.append(Array.from({ length: 1000 }, (_, n) => ({ n, big })));
    const old = join(dir, 'outbox.1.jsonl');
    const full = (await stat(old)).size;
    expect(full).toBeGreaterThan(3 * 2 ** 20);

    await journal.compact(() => []);
    // Smaller, but still there: the disk frees its blocks a MiB at a time.
    await vi.waitUntil(async () => (await stat(old).catch(() => undefined))?.size !== full, { timeout: 5_000, interval: 2 });
    expect((await stat(old)).size).toBeGreaterThan(0);
    await vi.waitUntil(async () => !(await journalFiles()).includes('outbox.1.jsonl'), { timeout: 5_000 });

    // Closing does not wait out the pauses (16 of them here, 10 ms each).
    for (let i = 0; i < 16; i++) await journal.append(Array.from({ length: 1000 }, (_, n) => ({ n, big })));
    await journal.compact(() => []);
    const closing = Date.now();
    await store.close();
    stores.length = 0;
    expect(Date.now() - closing).toBeLessThan(120);
    expect(await journalFiles()).toEqual(['outbox.3.jsonl']);
  });

  it('rejects a compaction whose snapshot throws, keeps appending, and compacts fine the next time', async () => {
    const store = await open();
    const journal = store.journal('outbox');
    await journal.append([{ id: 1 }, { id: 2 }]);
    await expect(
      journal.compact(() => {
        throw new Error('snapshot failed');
      }),
    ).rejects.toThrow('snapshot failed');
    await journal.append([{ id: 3 }]);
    expect(await journal.readAll()).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    await journal.compact(() => [{ id: 3 }]);
    await journal.append([{ id: 4 }]);
    expect(await journal.readAll()).toEqual([{ id: 3 }, { id: 4 }]);
    await store.close();
    stores.length = 0;
    expect(await journalFiles()).toHaveLength(1);
  });

  it('falls back to the previous segment when a crash cut a compaction short, and discards the cut one', async () => {
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (_: object, msg?: string) => void warnings.push(msg ?? '') };
    await writeFile(join(dir, 'outbox.4.jsonl'), '{"id":1}\n#compacted 1\n{"id":2}\n');
    // No end line: the snapshot was being written.
    await writeFile(join(dir, 'outbox.5.jsonl'), '{"id":1}\n');
    // An end line after fewer records than it counts: part of the snapshot never reached the disk.
    await writeFile(join(dir, 'outbox.6.jsonl'), '{"id":1}\n\u0000\u0000\n#compacted 2\n{"id":9}\n');
    // An empty spare, made ahead of a compaction.
    await writeFile(join(dir, 'outbox.7.jsonl'), '');
    const store = new FileStore({ dir, logger });
    await store.open();
    stores.push(store);
    expect(await store.journal('outbox').readAll()).toEqual([{ id: 1 }, { id: 2 }]);
    expect(await journalFiles()).toEqual(['outbox.4.jsonl']);
    expect(warnings.filter((w) => w.includes('cut off by a crash'))).toHaveLength(2);
  });

  it('rejects journal names that would clash with segment files', () => {
    expect(() => new FileStore({ dir }).journal('outbox.2')).toThrow('"outbox.2" is not a valid journal name');
  });

  it('refuses a second process on the same data directory, naming the owner', async () => {
    await open();
    const other = spawnSync(
      process.execPath,
      ['-e', `import('${join(process.cwd(), 'packages/core/dist/index.js')}').then(async ({ FileStore }) => { try { await new FileStore({ dir: ${JSON.stringify(dir)} }).open(); console.log('opened'); } catch (e) { console.log(e.message); } })`],
      { encoding: 'utf8' },
    );
    expect(other.stdout).toContain(`data directory is in use by process ${process.pid}`);
  });

  it('takes over a lock left by a process that died', async () => {
    await writeFile(join(dir, 'switchboard.lock'), '999999999');
    const store = await open();
    await store.put('x', 1);
    expect(await readFile(join(dir, 'switchboard.lock'), 'utf8')).toBe(String(process.pid));
  });
});

describe('FileStore.check (readiness)', () => {
  it('passes while open, and names the problem when closed or when the directory is gone', async () => {
    const store = new FileStore({ dir: join(dir, 'data') });
    await expect(store.check()).rejects.toThrow('the file store is not open');
    await store.open();
    stores.push(store);
    await expect(store.check()).resolves.toBeUndefined();
    await rm(join(dir, 'data'), { recursive: true, force: true });
    await expect(store.check()).rejects.toThrow(/the data directory .*data is not writable: ENOENT/);
  });
});
