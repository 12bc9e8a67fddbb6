/**
 * A first-in first-out queue with O(1) push and shift: an array read from a moving head, trimmed
 * once the consumed part dominates (`Array.prototype.shift` is O(n), which hurts long queues).
 * A queue that empties keeps its (small) array: a lane that drains and fills again, once per
 * message under fan-out, then allocates nothing.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  private tail = 0;

  /** Items queued. */
  get length(): number {
    return this.tail - this.head;
  }

  push(item: T): void {
    if (this.tail === this.items.length) this.items.push(item);
    else this.items[this.tail] = item;
    this.tail++;
  }

  /** The item `offset` places behind the head (0 is the head). */
  at(offset: number): T | undefined {
    return offset < 0 || offset >= this.tail - this.head ? undefined : this.items[this.head + offset];
  }

  shift(): T | undefined {
    if (this.head === this.tail) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
      // A long backlog's array is let go once it has drained.
      if (this.items.length > 1024) this.items = [];
    } else if (this.head > 1024 && this.head * 2 > this.tail) {
      this.items = this.items.slice(this.head, this.tail);
      this.tail -= this.head;
      this.head = 0;
    }
    return item;
  }
}
