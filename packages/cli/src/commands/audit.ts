import { configuredAudit, silentLogger, formatAuditEntry } from '@switchboard/core';
import { CliExit, ExitCode, readConfig } from './common.js';

/** Options of `switchboard audit`. */
export interface AuditOptions {
  /** Entries shown, newest last. @defaultValue 20 */
  readonly limit?: number;
  /** Only this actor's. */
  readonly user?: string;
  /** One JSON object per line, as stored. */
  readonly json?: boolean;
}

/**
 * `switchboard audit -c FILE`: print the latest entries of the audit log (the data directory's, or the Redis store's).
 * Only reads: it works while the bridge runs.
 */
export async function auditCommand(file: string, options: AuditOptions = {}, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const limit = options.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 1) throw new CliExit(`-n takes a whole number of entries, at least 1 (got ${String(options.limit)})`, ExitCode.usage);
  const config = await readConfig(file);
  const log = configuredAudit(config, silentLogger);
  try {
    const entries = await log.latest({ limit, ...(options.user !== undefined ? { actor: options.user } : {}) });
    if (entries.length === 0 && !options.json) {
      out.write(`no audit entries${options.user !== undefined ? ` by ${options.user}` : ''} in ${log.location ?? 'the audit log'}\n`);
      return ExitCode.ok;
    }
    for (const entry of entries) out.write(`${options.json ? JSON.stringify(entry) : formatAuditEntry(entry)}\n`);
    return ExitCode.ok;
  } finally {
    await log.close();
  }
}
