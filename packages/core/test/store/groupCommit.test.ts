import type * as NodeFs from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// fdatasync calls are held until the test lets them finish, to see what is acknowledged when.
const held: (() => void)[] = [];
const writes: string[] = [];
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof NodeFs>();
  return {
    ...fs,
    fdatasync: (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) =>
      held.push(() => fs.fdatasync(fd, callback)),
    writeSync: (fd: number, data: string) => {
      writes.push(data);
      return fs.writeSync(fd, data);
    },
  };
});
const { FileStore } = await import('@switchboard/core');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-commit-'));
  held.length = 0;
  writes.length = 0;
});
afterEach(async () => {
  while (held.length > 0) held.shift()!();
  await rm(dir, { recursive: true, force: true });
});

const settled = (p: Promise<unknown>): { done: boolean } => {
  const state = { done: false };
  void p.then(() => (state.done = true));
  return state;
};
const flushMicrotasks = () => new Promise((r) => setImmediate(r));

describe('FileStore journal group commit', () => {
  it('acknowledges an append only after its flush, and gathers appends made meanwhile into one write', async () => {
    const store = new FileStore({ dir, lock: false });
    await store.open();
    const journal = store.journal('outbox');

    const a = settled(journal.append([{ n: 1 }]));
    await vi.waitUntil(() => held.length === 1);
    expect(writes).toEqual(['{"n":1}\n']);

    // While the first flush runs: a non-durable record and two durable ones.
    const b = settled(journal.append([{ n: 2 }], { durable: false }));
    const c = settled(journal.append([{ n: 3 }]));
    const d = settled(journal.append([{ n: 4 }, { n: 5 }]));
    await flushMicrotasks();
    expect(a.done).toBe(false);
    expect(writes).toHaveLength(1);

    held.shift()!();
    await vi.waitUntil(() => a.done);
    await vi.waitUntil(() => held.length === 1);
    // One write for the three appends, and none of them acknowledged before its flush.
    expect(writes).toEqual(['{"n":1}\n', '{"n":2}\n{"n":3}\n{"n":4}\n{"n":5}\n']);
    expect([b.done, c.done, d.done]).toEqual([false, false, false]);

    held.shift()!();
    await vi.waitUntil(() => b.done && c.done && d.done);
    await store.close();
    expect(await readFile(join(dir, 'outbox.jsonl'), 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n{"n":5}\n');
  });
});
