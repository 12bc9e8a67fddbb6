import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';

const fixture = new URL('../fixtures/crashable-bridge.mjs', import.meta.url).pathname;
let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function delivered(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

describe('outbox durability across SIGKILL', () => {
  it('delivers every accepted message after the process is killed mid-delivery and started again', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sb-crash-'));
    const data = join(dir, 'data');
    const out = join(dir, 'delivered.txt');
    const accepted: string[] = [];

    const producer = spawn(process.execPath, [fixture, data, out, 'produce', '400'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => producer.on('exit', (_code, signal) => resolve(signal)));
    createInterface({ input: producer.stdout }).on('line', (line) => {
      if (line.startsWith('accepted ')) accepted.push(line.slice('accepted '.length));
    });
    // Kill once some, but far from all, replies have gone out.
    const deadline = Date.now() + 15_000;
    while (delivered(out).length < 40 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    producer.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const beforeRestart = delivered(out).length;
    expect(beforeRestart).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(beforeRestart);

    const resumer = spawn(process.execPath, [fixture, data, out, 'resume'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let drained = false;
    createInterface({ input: resumer.stdout }).on('line', (line) => (drained ||= line === 'drained'));
    const code = await new Promise<number | null>((resolve) => resumer.on('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(drained).toBe(true);

    const after = delivered(out);
    const missing = accepted.filter((text) => !after.includes(text));
    expect(missing).toEqual([]);
    // Per destination, first deliveries keep acceptance order (a message cut off mid-send may repeat once).
    for (const who of ['alice', 'bob', 'carol']) {
      const firstSeen = [...new Set(after.filter((l) => l.startsWith(`${who} `)))];
      const order = accepted.filter((l) => l.startsWith(`${who} `));
      expect(firstSeen.slice(0, order.length)).toEqual(order);
    }
  });
});
