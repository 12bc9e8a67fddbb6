import type * as NodeFs from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// fdatasync calls are held until the test lets each finish (or fail), to see what is acknowledged when.
interface HeldFlush {
  readonly fd: number;
  finish(): void;
  fail(error: Error): void;
}
const held: HeldFlush[] = [];
const writes: string[] = [];
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof NodeFs>();
  return {
    ...fs,
    fdatasync: (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) =>
      held.push({ fd, finish: () => fs.fdatasync(fd, callback), fail: (error) => setImmediate(() => callback(error)) }),
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
  while (held.length > 0) held.shift()!.finish();
  await rm(dir, { recursive: true, force: true });
});

const settled = (p: Promise<unknown>): { done: boolean; error?: unknown } => {
  const state: { done: boolean; error?: unknown } = { done: false };
  p.then(
    () => (state.done = true),
    (error: unknown) => (state.error = error),
  );
  return state;
};
const turn = () => new Promise((r) => setImmediate(r));
const segments = async () => (await readdir(dir)).filter((f) => f.endsWith('.jsonl')).sort();

async function openJournal() {
  const store = new FileStore({ dir, lock: false });
  await store.open();
  const journal = store.journal('outbox');
  // The first use creates segment 1, which starts with an empty snapshot.
  await journal.readAll();
  writes.length = 0;
  return { store, journal };
}

describe('FileStore journal group commit', () => {
  it('writes the appends of one turn together and acknowledges them only after their flush', async () => {
    const { store, journal } = await openJournal();
    const a = settled(journal.append([{ n: 1 }]));
    const b = settled(journal.append([{ n: 2 }], { durable: false }));
    const c = settled(journal.append([{ n: 3 }, { n: 4 }]));
    await vi.waitUntil(() => held.length === 1);
    expect(writes).toEqual(['{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n']);
    await turn();
    expect([a.done, b.done, c.done]).toEqual([false, false, false]);

    held.shift()!.finish();
    await vi.waitUntil(() => a.done && b.done && c.done);
    await store.close();
    expect(await readFile(join(dir, 'outbox.1.jsonl'), 'utf8')).toBe('#snapshot 0\n#compacted 0\n{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n');
  });

  it('does not wait for a slow flush: a later one that returns first acknowledges the appends before it too', async () => {
    const { store, journal } = await openJournal();
    const first = settled(journal.append([{ n: 1 }]));
    await vi.waitUntil(() => held.length === 1);
    // Written and flushing while the first flush is still out.
    const second = settled(journal.append([{ n: 2 }]));
    await vi.waitUntil(() => held.length === 2);
    expect(writes).toEqual(['{"n":1}\n', '{"n":2}\n']);

    held.pop()!.finish();
    await vi.waitUntil(() => first.done && second.done);
    held.shift()!.finish();
    await store.close();
  });

  it('keeps at most three flushes in flight and gathers what comes meanwhile into one write', async () => {
    const { store, journal } = await openJournal();
    const acks: ReturnType<typeof settled>[] = [];
    for (let n = 1; n <= 3; n++) {
      acks.push(settled(journal.append([{ n }])));
      await vi.waitUntil(() => held.length === n);
    }
    acks.push(settled(journal.append([{ n: 4 }])), settled(journal.append([{ n: 5 }])));
    await turn();
    await turn();
    expect(writes).toHaveLength(3);

    // The oldest flush returns: its append is acknowledged, and the two waiting go out as one write.
    held.shift()!.finish();
    await vi.waitUntil(() => held.length === 3);
    expect(acks.map((a) => a.done)).toEqual([true, false, false, false, false]);
    expect(writes.at(-1)).toBe('{"n":4}\n{"n":5}\n');

    while (held.length > 0) held.shift()!.finish();
    await vi.waitUntil(() => acks.every((a) => a.done));
    await store.close();
  });

  it('fails every append waiting when a flush fails, and goes on afterwards', async () => {
    const { store, journal } = await openJournal();
    const first = settled(journal.append([{ n: 1 }]));
    await vi.waitUntil(() => held.length === 1);
    const second = settled(journal.append([{ n: 2 }]));
    await vi.waitUntil(() => held.length === 2);

    held.shift()!.fail(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    await vi.waitUntil(() => first.error !== undefined && second.error !== undefined);
    expect((first.error as Error).message).toContain('EIO');
    // The second flush returning later acknowledges nothing any more.
    held.shift()!.finish();
    await turn();
    expect(second.done).toBe(false);

    const third = settled(journal.append([{ n: 3 }]));
    await vi.waitUntil(() => held.length === 1);
    held.shift()!.finish();
    await vi.waitUntil(() => third.done);
    await store.close();
  });

  it('goes on appending while a compaction is written, into the new segment', async () => {
    const { store, journal } = await openJournal();
    const pending = new Set([1, 2, 3]);
    const early = settled(journal.append([{ id: 1 }, { id: 2 }, { id: 3 }]));
    await vi.waitUntil(() => held.length === 1);
    pending.delete(2);
    const compaction = settled(journal.compact(() => [...pending].map((id) => ({ id }))));
    const late = settled(journal.append([{ id: 4 }]));

    // The snapshot and the append behind it are both written before any flush has returned.
    await vi.waitUntil(() => held.length === 3);
    expect(writes.slice(1)).toEqual(['#snapshot 2\n{"id":1}\n{"id":3}\n#compacted 2\n', '{"id":4}\n']);
    await turn();
    expect([early.done, compaction.done, late.done]).toEqual([false, false, false]);

    // The new segment's flush covers the compaction and the old segment's appends (through the
    // snapshot) too.
    held.pop()!.finish();
    await vi.waitUntil(() => early.done && compaction.done && late.done);
    // The old segment is deleted only once its own flush has returned.
    await turn();
    expect(await segments()).toContain('outbox.1.jsonl');
    while (held.length > 0) held.shift()!.finish();
    await vi.waitUntil(async () => !(await segments()).includes('outbox.1.jsonl'));
    expect(await segments()).toEqual(['outbox.2.jsonl', 'outbox.3.jsonl']);
    expect(await readFile(join(dir, 'outbox.2.jsonl'), 'utf8')).toBe('#snapshot 2\n{"id":1}\n{"id":3}\n#compacted 2\n{"id":4}\n');

    await store.close();
    // Closing removes the spare segment made ahead of the next compaction.
    expect(await segments()).toEqual(['outbox.2.jsonl']);
  });
});
