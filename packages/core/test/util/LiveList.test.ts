import { describe, expect, it } from 'vitest';
import { LiveList, type Linked } from '../../src/util/LiveList.js';

interface Item extends Linked<Item> {
  readonly n: number;
}
const item = (n: number): Item => ({ n, prevLive: undefined, nextLive: undefined });
const ns = (list: LiveList<Item>): number[] => [...list].map((i) => i.n);

describe('LiveList', () => {
  it('keeps insertion order through deletions at the head, middle and tail', () => {
    const list = new LiveList<Item>();
    const items = [0, 1, 2, 3, 4].map(item);
    for (const i of items) list.add(i);
    expect(ns(list)).toEqual([0, 1, 2, 3, 4]);
    expect(list.delete(items[0]!)).toBe(true);
    expect(list.delete(items[2]!)).toBe(true);
    expect(list.delete(items[4]!)).toBe(true);
    expect(ns(list)).toEqual([1, 3]);
    expect(list.size).toBe(2);
    list.add(items[0]!);
    expect(ns(list)).toEqual([1, 3, 0]);
  });

  it('knows what it holds: a second add or delete changes nothing', () => {
    const list = new LiveList<Item>();
    const [a, b] = [item(1), item(2)];
    list.add(a);
    list.add(a);
    expect(list.size).toBe(1);
    expect(list.has(a)).toBe(true);
    expect(list.has(b)).toBe(false);
    expect(list.delete(b)).toBe(false);
    expect(list.delete(a)).toBe(true);
    expect(list.delete(a)).toBe(false);
    expect(list.size).toBe(0);
    expect(ns(list)).toEqual([]);
    // A deleted item keeps no link to its former neighbours.
    list.add(a);
    list.add(b);
    list.delete(a);
    expect(a.nextLive).toBeUndefined();
    expect(a.prevLive).toBeUndefined();
  });

  it('lets a walk delete the item it is on', () => {
    const list = new LiveList<Item>();
    for (let n = 0; n < 6; n++) list.add(item(n));
    const seen: number[] = [];
    for (const i of list) {
      seen.push(i.n);
      if (i.n % 2 === 0) list.delete(i);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect(ns(list)).toEqual([1, 3, 5]);
  });
});
