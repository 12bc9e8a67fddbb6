import { appendFile, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileAuditLog, type AuditEntry } from '@switchboard/core';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sb-audit-'));
  dirs.push(dir);
  return dir;
}

function entry(n: number, actor = 'alice'): AuditEntry {
  return { at: new Date(1_700_000_000_000 + n * 1000).toISOString(), actor, tier: 'root', command: 'promote', args: [`u${n}`], outcome: 'ok' };
}

describe('FileAuditLog', () => {
  it('appends JSON lines, private to the owner, that a new log reads back', async () => {
    const dir = await tempDir();
    const log = new FileAuditLog({ dir });
    await Promise.all([1, 2, 3].map((n) => log.append(entry(n, n === 2 ? 'bob' : 'alice'))));
    await log.close();
    const lines = (await readFile(join(dir, 'audit.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as AuditEntry).args[0])).toEqual(['u1', 'u2', 'u3']);
    expect((await stat(join(dir, 'audit.jsonl'))).mode & 0o777).toBe(0o600);
    const again = new FileAuditLog({ dir });
    expect((await again.latest({ limit: 2 })).map((e) => e.args[0])).toEqual(['u2', 'u3']);
    expect((await again.latest({ actor: 'BOB' })).map((e) => e.args[0])).toEqual(['u2']);
    await again.close();
    await expect(again.append(entry(9))).rejects.toThrow(/closed/);
  });

  it('rotates by size, keeps the configured number of files, and reads across them', async () => {
    const dir = await tempDir();
    const log = new FileAuditLog({ dir, maxBytes: 1024, keep: 2 });
    for (let n = 0; n < 60; n++) await log.append(entry(n));
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(['audit.1.jsonl', 'audit.2.jsonl', 'audit.jsonl']);
    for (const file of files) expect((await stat(join(dir, file))).size).toBeLessThanOrEqual(1024);
    const latest = await log.latest({ limit: 100 });
    // The newest entries survive, in order, without a gap.
    expect(latest.at(-1)!.args[0]).toBe('u59');
    const numbers = latest.map((e) => Number(e.args[0]!.slice(1)));
    expect(numbers).toEqual(numbers.map((_, i) => numbers[0]! + i));
    expect(numbers.length).toBeGreaterThan(10);
    expect(numbers[0]).toBeGreaterThan(0);
    await log.close();
  });

  it('loses no later entry to a line torn by a crash', async () => {
    const dir = await tempDir();
    const first = new FileAuditLog({ dir });
    await first.append(entry(1));
    await first.close();
    await appendFile(join(dir, 'audit.jsonl'), '{"at":"2026-01-01","actor":"ali');
    const second = new FileAuditLog({ dir });
    await second.append(entry(2));
    expect((await second.latest()).map((e) => e.args[0])).toEqual(['u1', 'u2']);
    await second.close();
  });
});
