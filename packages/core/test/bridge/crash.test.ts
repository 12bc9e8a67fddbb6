import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'vitest';
import { crashAndResume } from '../fixtures/crashScenario.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('outbox durability across SIGKILL', () => {
  it('delivers every accepted message after the process is killed mid-delivery and started again', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sb-crash-'));
    await crashAndResume(join(dir, 'data'), join(dir, 'delivered.txt'));
  });
});
