import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStore } from '@switchboard/core';

const fixture = new URL('../fixtures/crashable-journal.mjs', import.meta.url).pathname;
let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Run the fixture until it has acknowledged `count` more appends, then SIGKILL it; returns the ids acknowledged. */
async function runAndKill(data: string, count: number): Promise<number[]> {
  const child = spawn(process.execPath, [fixture, data], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const acked: number[] = [];
  await new Promise<void>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('acked ')) return;
      acked.push(Number(line.slice('acked '.length)));
      if (acked.length === count) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', () => resolve());
  });
  expect(await exited).toBe('SIGKILL');
  return acked;
}

describe('FileStore journal across SIGKILL', () => {
  it('keeps every acknowledged append when killed while compactions and appends overlap', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sb-journal-crash-'));
    const data = join(dir, 'data');
    const acked: number[] = [];
    // Kill at different points of the compaction cycle (one every 200 appends).
    for (const count of [1_130, 2_077, 1_555]) acked.push(...(await runAndKill(data, count)));

    const store = new FileStore({ dir: data });
    await store.open();
    const ids = new Set(((await store.journal('log').readAll()) as { id: number }[]).map((r) => r.id));
    await store.close();
    expect(acked.filter((id) => !ids.has(id))).toEqual([]);
    // One live segment is left; the replaced ones and the spare are gone.
    expect((await readdir(data)).filter((f) => f.endsWith('.jsonl'))).toHaveLength(1);
  }, 60_000);
});
