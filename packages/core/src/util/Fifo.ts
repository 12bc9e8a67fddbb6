/**
 * A first-in first-out queue with O(1) push and shift. The head item sits in a field of its own;
 * the items behind it in an array read from a moving head, trimmed once the consumed part dominates
 * (`Array.prototype.shift` is O(n), which hurts long queues).
 *
 * The field is for the commonest queue under fan-out: an outbox lane holding one message. Pushing
 * and shifting it touch only this object, not an array and its backing store too; across thousands
 * of lanes those are cache misses (measured in the relay benchmark: ~3% of its time). A queue that
 * empties keeps its (small) array, so one that fills again allocates nothing.
 */
export class Fifo<T> {
  private first: T | undefined = undefined;
  private count = 0;
  /** Items after the first, from `head` to `tail`. */
  private rest: (T | undefined)[] | undefined;
  private head = 0;
  private tail = 0;

  /** Items queued. */
  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count++ === 0) {
      this.first = item;
      return;
    }
    const rest = (this.rest ??= []);
    if (this.tail === rest.length) rest.push(item);
    else rest[this.tail] = item;
    this.tail++;
  }

  /** The item `offset` places from the head (0 is the next to shift), or undefined. */
  at(offset: number): T | undefined {
    if (offset === 0) return this.first;
    return offset < 0 || offset >= this.count ? undefined : this.rest![this.head + offset - 1];
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.first;
    this.count--;
    if (this.count === 0) {
      this.first = undefined;
      return item;
    }
    const rest = this.rest!;
    this.first = rest[this.head];
    rest[this.head++] = undefined;
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
      if (rest.length > 1024) this.rest = undefined;
    } else if (this.head > 1024 && this.head * 2 > this.tail) {
      this.rest = rest.slice(this.head, this.tail);
      this.tail -= this.head;
      this.head = 0;
    }
    return item;
  }
}
