/** Things registered by name (feed types), each removable by the disposer its registration returned. */
export class NamedRegistry<T> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly what: string) {}

  /** @throws Error when the name is taken. */
  register(name: string, value: T): () => void {
    if (this.entries.has(name)) throw new Error(`a ${this.what} named "${name}" is already registered`);
    this.entries.set(name, value);
    return () => {
      if (this.entries.get(name) === value) this.entries.delete(name);
    };
  }

  get(name: string): T | undefined {
    return this.entries.get(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Everything registered, by name. */
  toRecord(): Record<string, T> {
    return Object.fromEntries(this.entries);
  }
}
