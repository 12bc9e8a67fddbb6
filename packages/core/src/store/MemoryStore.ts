import type { AppendOptions, Journal, Store } from './Store.js';
import { assertJournalName, assertStoreKey } from './names.js';

/** A store that keeps everything in memory: for tests, benchmarks and throwaway runs. */
export class MemoryStore implements Store {
  private readonly docs = new Map<string, string>();
  private readonly journals = new Map<string, MemoryJournal>();

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  async get<T>(key: string): Promise<T | undefined> {
    assertStoreKey(key);
    const raw = this.docs.get(key);
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }

  async put(key: string, value: unknown): Promise<void> {
    assertStoreKey(key);
    // Serialised so callers cannot mutate what was "persisted".
    this.docs.set(key, JSON.stringify(value));
  }

  journal(name: string): Journal {
    let journal = this.journals.get(name);
    if (!journal) {
      assertJournalName(name);
      journal = new MemoryJournal();
      this.journals.set(name, journal);
    }
    return journal;
  }
}

/**
 * Keeps each append as the JSON text the file store would write, not the records themselves.
 * Between compactions a journal holds every record appended since the last one (the outbox
 * compacts once finished messages far outnumber pending ones); held by reference, those records
 * kept every delivered message's objects alive until then, so the "memory" store used more memory,
 * and more time in GC, than the file store. As text they cost what they weigh on disk, and nothing
 * an owner changes later can alter what was "persisted".
 */
class MemoryJournal implements Journal {
  private chunks: string[] = [];

  async append(records: readonly unknown[], _options?: AppendOptions): Promise<void> {
    if (records.length > 0) this.chunks.push(JSON.stringify(records));
  }

  async readAll(): Promise<unknown[]> {
    const out: unknown[] = [];
    for (const chunk of this.chunks) for (const record of JSON.parse(chunk) as unknown[]) out.push(record);
    return out;
  }

  async compact(snapshot: () => readonly unknown[]): Promise<void> {
    const records = snapshot();
    this.chunks = records.length > 0 ? [JSON.stringify(records)] : [];
  }
}
