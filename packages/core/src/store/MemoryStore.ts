import type { AppendOptions, Journal, Store } from './Store.js';

/** A store that keeps everything in memory: for tests, benchmarks and throwaway runs. */
export class MemoryStore implements Store {
  private readonly docs = new Map<string, string>();
  private readonly journals = new Map<string, MemoryJournal>();

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  async get<T>(key: string): Promise<T | undefined> {
    const raw = this.docs.get(key);
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }

  async put(key: string, value: unknown): Promise<void> {
    // Serialised so callers cannot mutate what was "persisted".
    this.docs.set(key, JSON.stringify(value));
  }

  journal(name: string): Journal {
    let journal = this.journals.get(name);
    if (!journal) {
      journal = new MemoryJournal();
      this.journals.set(name, journal);
    }
    return journal;
  }
}

/** Keeps records by reference: journal records are never mutated after they are appended. */
class MemoryJournal implements Journal {
  private records: unknown[] = [];

  async append(records: readonly unknown[], _options?: AppendOptions): Promise<void> {
    for (const record of records) this.records.push(record);
  }

  async readAll(): Promise<unknown[]> {
    return [...this.records];
  }

  async compact(snapshot: () => readonly unknown[]): Promise<void> {
    this.records = [...snapshot()];
  }
}
