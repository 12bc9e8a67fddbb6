import type { Store } from '../store/Store.js';
import { Mutex } from '../util/Mutex.js';

/**
 * A plugin's own key-value space, kept as one document of the bridge's store. Values are JSON.
 * Writes are applied in call order and each resolves once it is durable.
 */
export class PluginStore {
  private values: Map<string, unknown> | undefined;
  private loading: Promise<Map<string, unknown>> | undefined;
  private readonly writes = new Mutex();

  constructor(
    private readonly store: Store,
    /** The document key, e.g. `plugin:weather`. */
    readonly key: string,
  ) {}

  async get<T>(key: string): Promise<T | undefined> {
    return (await this.load()).get(key) as T | undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    if (value === undefined) return this.delete(key);
    // Refuse what would not survive a round trip before anything changes.
    const copy = JSON.parse(JSON.stringify(value)) as unknown;
    await this.change((values) => values.set(key, copy));
  }

  async delete(key: string): Promise<void> {
    await this.change((values) => values.delete(key));
  }

  async keys(): Promise<string[]> {
    return [...(await this.load()).keys()];
  }

  private async change(apply: (values: Map<string, unknown>) => void): Promise<void> {
    await this.writes.run(async () => {
      const values = await this.load();
      const next = new Map(values);
      apply(next);
      await this.store.put(this.key, Object.fromEntries(next));
      this.values = next;
    });
  }

  private load(): Promise<Map<string, unknown>> {
    if (this.values) return Promise.resolve(this.values);
    this.loading ??= this.store.get<Record<string, unknown>>(this.key).then((doc) => {
      this.values ??= new Map(Object.entries(doc ?? {}));
      return this.values;
    });
    return this.loading;
  }
}
