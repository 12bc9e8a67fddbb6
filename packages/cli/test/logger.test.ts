import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, maskSecrets } from '@switchboard/cli';

describe('createLogger', () => {
  it('masks secret-bearing keys and every configured secret value, wherever it appears', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-log-'));
    try {
      const file = join(dir, 'log.jsonl');
      const secret = 'A1b2"C3d4E5';
      const logger = createLogger({ level: 'info', file, secrets: [secret] });
      logger.info({ appSecret: 'plain-secret', nested: { token: 'tok-123' }, url: `https://x/?k=${secret}` }, `failed with ${secret}`);
      logger.flush();
      const text = await readFile(file, 'utf8');
      expect(text).not.toContain('plain-secret');
      expect(text).not.toContain('tok-123');
      expect(text).not.toContain('A1b2');
      expect(JSON.parse(text)).toMatchObject({ appSecret: '[redacted]', nested: { token: '[redacted]' }, msg: 'failed with [redacted]' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('maskSecrets replaces raw and JSON-escaped forms', () => {
    expect(maskSecrets('a "x\\"y" b x"y', ['x"y'])).toBe('a "[redacted]" b [redacted]');
  });
});
