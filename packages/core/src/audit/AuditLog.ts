import type { Tier } from '../domain/tiers.js';
import { redact } from '../util/redact.js';
import type { ArgSpec } from '../commands/args.js';

/** One privileged act, as the audit log keeps it. */
export interface AuditEntry {
  /** ISO 8601 time of the act. */
  readonly at: string;
  /** Who acted: the user's name, a guest's display name, or `shell` for the CLI. */
  readonly actor: string;
  /** Their tier when they acted; absent for guests and the shell. */
  readonly tier?: Tier;
  /** The platform identity they wrote from, `platform:id`. */
  readonly identity?: string;
  /** The chat they wrote in (`platform:kind:id`). */
  readonly chat?: string;
  readonly command: string;
  /** The arguments, secrets masked. */
  readonly args: readonly string[];
  /** `ok`, `error`, `timeout`, `refused`, `usage`, `limited`, `confirm` (asked), `cancelled`… */
  readonly outcome: string;
  /** Why, when the outcome needs it (the error, a refusal's reason). */
  readonly detail?: string;
  /** Where the act came from. @defaultValue 'chat' */
  readonly via?: 'chat' | 'shell' | 'web';
}

/** Which entries {@link AuditLog.latest} returns. */
export interface AuditQuery {
  /** @defaultValue 20 */
  readonly limit?: number;
  /** Only this actor's (case-insensitive). */
  readonly actor?: string;
}

/**
 * Where privileged acts are appended: who did what, from where, and what came of it. Appends are
 * durable once they resolve. The file store's is JSON lines in the data directory.
 */
export interface AuditLog {
  /** Where the entries are kept, for messages (a file path, a Redis key). */
  readonly location?: string;
  append(entry: AuditEntry): Promise<void>;
  /** The latest entries, oldest first. */
  latest(query?: AuditQuery): Promise<AuditEntry[]>;
  close(): Promise<void>;
}

/** Keeps the latest entries in memory (at least `keep`, at most twice that): for tests and bridges without a data directory. */
export class MemoryAuditLog implements AuditLog {
  private readonly entries: AuditEntry[] = [];

  constructor(private readonly keep = 200) {}

  append(entry: AuditEntry): Promise<void> {
    this.entries.push(entry);
    // Trimmed in batches: dropping one from the front of a full array on every append would move them all.
    if (this.entries.length >= this.keep * 2) this.entries.splice(0, this.entries.length - this.keep);
    return Promise.resolve();
  }

  latest(query: AuditQuery = {}): Promise<AuditEntry[]> {
    return Promise.resolve(pick(this.entries, query));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The latest `query.limit` of `entries` (oldest first) that match `query`. */
export function pick(entries: readonly AuditEntry[], query: AuditQuery): AuditEntry[] {
  const limit = query.limit ?? 20;
  const actor = query.actor?.toLowerCase();
  const out: AuditEntry[] = [];
  for (let i = entries.length - 1; i >= 0 && out.length < limit; i--) {
    const entry = entries[i]!;
    if (actor === undefined || entry.actor.toLowerCase() === actor) out.push(entry);
  }
  return out.reverse();
}

/** Arguments as the audit keeps them: declared secrets replaced, known secrets and secret shapes masked. */
export function auditArgs(words: readonly string[], specs?: readonly ArgSpec[]): string[] {
  return words.map((word, i) => {
    const spec = specs?.[Math.min(i, specs.length - 1)];
    const secret = spec?.secret && (i < specs!.length || spec.rest);
    return secret ? '[redacted]' : redact(word);
  });
}

/** One entry as a line for people: `2026-12-04 09:15:02 alice (root, console:alice) hatch on → ok: detail`. */
export function formatAuditEntry(entry: AuditEntry, timeZone?: string): string {
  const when = new Date(entry.at);
  const time = Number.isNaN(when.getTime())
    ? entry.at
    : new Intl.DateTimeFormat('sv-SE', { dateStyle: 'short', timeStyle: 'medium', ...(timeZone ? { timeZone } : {}) }).format(when);
  const who = [entry.tier, entry.via && entry.via !== 'chat' ? entry.via : entry.identity].filter(Boolean).join(', ');
  const args = entry.args.length > 0 ? ` ${entry.args.join(' ')}` : '';
  return `${time} ${entry.actor}${who ? ` (${who})` : ''} ${entry.command}${args} → ${entry.outcome}${entry.detail ? `: ${entry.detail}` : ''}`;
}
