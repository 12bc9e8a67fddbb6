import { describe, expect, it, vi } from 'vitest';
import { Lanes } from '../../src/util/Lanes.js';

describe('Lanes', () => {
  it('asks for a loop only when a lane was idle, and keeps each key’s order', () => {
    const lanes = new Lanes<number>();
    const a = lanes.push('a', 1);
    expect(a).toBeDefined();
    expect(lanes.push('a', 2)).toBeUndefined();
    expect(lanes.push('b', 3)).toBeDefined();
    expect([a!.shift(), a!.shift(), a!.shift()]).toEqual([1, 2, undefined]);
    lanes.release(a!);
    // Idle again: the next item needs a new loop, on the same lane.
    expect(lanes.push('a', 4)).toBe(a);
  });

  it('drops idle lanes in a sweep, never a running one or one with items', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const lanes = new Lanes<number>(1000);
      const idle = lanes.push('idle', 1)!;
      const busy = lanes.push('busy', 2)!;
      const stopped = lanes.push('stopped', 3)!;
      idle.shift();
      lanes.release(idle);
      vi.advanceTimersByTime(1500);
      lanes.release(stopped); // ended with an item left (its owner is stopping)
      expect(lanes.size).toBe(2);
      expect(lanes.push('busy', 5)).toBeUndefined();
      expect(busy.length).toBe(2);
      expect(lanes.push('idle', 6)).not.toBe(idle);
    } finally {
      vi.useRealTimers();
    }
  });

  it('queues on the key’s current lane when a sweep dropped the one looked up earlier', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const lanes = new Lanes<number>(1000);
      const early = lanes.lane('a');
      const other = lanes.push('b', 1)!;
      other.shift();
      vi.advanceTimersByTime(1500);
      lanes.release(other); // sweeps: 'a' is idle and empty, so it goes
      expect(early.detached).toBe(true);
      const current = lanes.push('a', 2)!;
      expect(current).not.toBe(early);
      // Still running with item 2: item 3 must queue behind it, not start a second loop for 'a'.
      expect(lanes.pushTo(early, 3)).toBeUndefined();
      expect([current.shift(), current.shift()]).toEqual([2, 3]);
      expect(early.length).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
