// The Store port's contract, on the two stores of the core. The Redis store runs the same cases (packages/store-redis).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { FileStore, MemoryStore } from '@switchboard/core';
import { storeContract } from '@switchboard/core/testing';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('FileStore meets the Store contract', () => {
  const make = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-contract-'));
    dirs.push(dir);
    return new FileStore({ dir });
  };
  for (const c of storeContract(make, async (closed) => new FileStore({ dir: (closed as FileStore).dir }))) it(c.name, c.run);
});

describe('MemoryStore meets the Store contract', () => {
  for (const c of storeContract(async () => new MemoryStore())) it(c.name, c.run);
});
