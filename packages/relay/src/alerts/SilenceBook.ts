import { Subject, type Observable } from 'rxjs';
import { Mutex, type Store } from '@switchboard/core';
import type { Update } from '../Update.js';
import { matchesAll, type Matcher } from './matchers.js';

/** A time-bounded set of matchers: alerts matching all of them page nobody while it lasts. */
export interface Silence {
  readonly id: number;
  readonly matchers: readonly Matcher[];
  readonly createdBy: string;
  readonly createdAt: number;
  readonly endsAt: number;
  readonly reason: string;
}

/** Store key of the silence document. */
export const SilencesKey = 'relay-silences';

/** Silences, persisted as one document; expired ones are dropped on the next change. */
export class SilenceBook {
  private silences: Silence[] = [];
  private nextId = 1;
  private readonly mutex = new Mutex();
  private readonly changed = new Subject<readonly Silence[]>();
  /** The silences after each change (one created or ended); for live views. */
  readonly changes$: Observable<readonly Silence[]> = this.changed.asObservable();

  constructor(private readonly store: Store) {}

  async load(): Promise<void> {
    const doc = await this.store.get<{ version: 1; nextId: number; silences: Silence[] }>(SilencesKey);
    this.silences = doc?.silences ?? [];
    this.nextId = doc?.nextId ?? 1;
  }

  /** Silences in force at `now`. */
  active(now = Date.now()): Silence[] {
    return this.silences.filter((s) => s.endsAt > now);
  }

  /** The first active silence matching an update, if any. */
  silencing(update: Update, now = Date.now()): Silence | undefined {
    return this.active(now).find((s) => matchesAll(s.matchers, update));
  }

  /** Create a silence; persisted before it is returned. */
  add(spec: Omit<Silence, 'id'>): Promise<Silence> {
    return this.mutex.run(async () => {
      const silence = { ...spec, id: this.nextId };
      await this.write([...this.active(), silence], this.nextId + 1);
      return silence;
    });
  }

  /** End a silence now. @returns it, or undefined when there is no such active silence. */
  remove(id: number): Promise<Silence | undefined> {
    return this.mutex.run(async () => {
      const silence = this.active().find((s) => s.id === id);
      if (!silence) return undefined;
      await this.write(this.active().filter((s) => s.id !== id), this.nextId);
      return silence;
    });
  }

  private async write(silences: Silence[], nextId: number): Promise<void> {
    await this.store.put(SilencesKey, { version: 1, nextId, silences });
    this.silences = silences;
    this.nextId = nextId;
    this.changed.next(silences);
  }
}
