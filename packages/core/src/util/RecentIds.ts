/**
 * A bounded set of recently seen ids, for dropping duplicates (platform re-pushes, resume replays).
 * The oldest id is forgotten once `capacity` is exceeded.
 */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be at least 1 (got ${capacity})`);
  }

  /** Remember `id`. @returns false when it was seen already (a duplicate). */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value!);
    return true;
  }
}
