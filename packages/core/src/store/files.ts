import { constants } from 'node:fs';
import { open, rename } from 'node:fs/promises';

/** Write a file so that a crash leaves either the old or the new content, never a mix. */
export async function writeAtomic(dir: string, path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  await syncDir(dir);
}

export async function syncDir(dir: string): Promise<void> {
  // Persist the rename itself. Some file systems refuse fsync on a directory; that is not fatal.
  const handle = await open(dir, constants.O_RDONLY).catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}
