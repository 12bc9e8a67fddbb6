import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Reconnector, StatusCell, type StatusLike } from '@switchboard/core';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** A reconnector whose attempts are recorded (time of each) and whose randomness is the top of the range. */
function recorded(connect: () => void | Promise<void> = () => undefined, random = () => 0.999) {
  const at: number[] = [];
  const start = Date.now();
  const reconnector = new Reconnector({
    connect: () => {
      at.push(Date.now() - start);
      return connect();
    },
    backoff: { baseMs: 100, maxMs: 1000 },
    random,
  });
  return { reconnector, at };
}

describe('Reconnector', () => {
  it('connects at start, and after each drop waits a full-jitter backoff that doubles up to the cap', async () => {
    const { reconnector, at } = recorded();
    reconnector.start();
    expect(at).toEqual([0]);
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      delays.push(reconnector.retry()!);
      await vi.advanceTimersByTimeAsync(delays.at(-1)!);
    }
    expect(delays).toEqual([99, 199, 399, 799, 999, 999]);
    expect(at).toHaveLength(7);
    expect(reconnector.attempt).toBe(6);
    reconnector.stop();
  });

  it('starts backoff afresh only once the owner says the connection is healthy', async () => {
    const { reconnector } = recorded();
    reconnector.start();
    await vi.advanceTimersByTimeAsync(reconnector.retry()!);
    await vi.advanceTimersByTimeAsync(reconnector.retry()!);
    expect(reconnector.retry()).toBe(399);
    await vi.advanceTimersByTimeAsync(400);
    reconnector.healthy();
    expect(reconnector.retry()).toBe(99);
    reconnector.stop();
  });

  it('keeps one retry waiting: a second drop replaces the first, whose timer never fires an attempt', async () => {
    const { reconnector, at } = recorded(undefined, () => 0.5);
    reconnector.start();
    reconnector.retry(); // 50 ms
    await vi.advanceTimersByTimeAsync(20);
    reconnector.retry(); // 100 ms from now
    await vi.advanceTimersByTimeAsync(60);
    expect(at).toEqual([0]);
    await vi.advanceTimersByTimeAsync(40);
    expect(at).toEqual([0, 120]);
    reconnector.stop();
  });

  it('after stop, schedules nothing and a waiting retry never fires', async () => {
    const { reconnector, at } = recorded();
    reconnector.start();
    reconnector.retry();
    reconnector.stop();
    expect(reconnector.waiting).toBe(false);
    expect(reconnector.retry()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(at).toEqual([0]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('counts an attempt that throws or rejects as failed, and tries again after backoff', async () => {
    let calls = 0;
    const { reconnector, at } = recorded(async () => {
      if (++calls <= 2) throw new Error('refused');
    });
    reconnector.start();
    await vi.advanceTimersByTimeAsync(100 + 200);
    expect(at).toEqual([0, 99, 298]);
    expect(reconnector.waiting).toBe(false);
    const sync = recorded(() => {
      throw new Error('bad url');
    });
    sync.reconnector.start();
    expect(sync.reconnector.waiting).toBe(true);
    sync.reconnector.stop();
    reconnector.stop();
  });

  it('does not retry a failure that comes back after it was stopped', async () => {
    let fail: (error: Error) => void = () => undefined;
    const { reconnector } = recorded(() => new Promise<void>((_, reject) => (fail = reject)));
    reconnector.start();
    reconnector.stop();
    fail(new Error('late'));
    await vi.advanceTimersByTimeAsync(0);
    expect(reconnector.waiting).toBe(false);
  });
});

describe('StatusCell', () => {
  interface Shard extends StatusLike {
    readonly shard: number;
    readonly state: 'stopped' | 'connecting' | 'ready';
  }

  it('holds the current status with its fixed fields, emits changes only, and nothing after close', () => {
    const cell = new StatusCell<Shard>({ shard: 3 }, 'stopped');
    const seen: Shard[] = [];
    cell.changes$.subscribe((s) => seen.push(s));
    cell.set('connecting');
    cell.set('connecting');
    cell.set('ready', 'session a');
    cell.set('ready', 'session b');
    cell.close();
    cell.set('stopped');
    expect(seen.map((s) => [s.shard, s.state, s.detail])).toEqual([
      [3, 'stopped', undefined],
      [3, 'connecting', undefined],
      [3, 'ready', 'session a'],
      [3, 'ready', 'session b'],
    ]);
    expect(seen[0]).not.toHaveProperty('detail');
    expect(cell.value).toMatchObject({ shard: 3, state: 'ready', detail: 'session b' });
    expect(cell.closed).toBe(true);
  });
});
