import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyedSerial } from '../../src/util/KeyedSerial.js';

const tick = (turns: number) => new Promise<void>((resolve) => {
  let left = turns;
  const step = () => (left-- <= 0 ? resolve() : setImmediate(step));
  step();
});

describe('KeyedSerial', () => {
  it('runs each key’s jobs one at a time in arrival order, other keys alongside, failures included (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c'), turns: fc.nat(3), fails: fc.boolean() }), { minLength: 1, maxLength: 30 }), async (jobs) => {
        const serial = new KeyedSerial();
        const running = new Map<string, number>();
        const started: Record<string, number[]> = {};
        const results = jobs.map((job, i) =>
          serial
            .run(job.key, async () => {
              expect(running.get(job.key) ?? 0).toBe(0);
              running.set(job.key, 1);
              (started[job.key] ??= []).push(i);
              await tick(job.turns);
              running.set(job.key, 0);
              if (job.fails) throw new Error(`job ${i}`);
              return i;
            })
            .then(
              (value) => ({ ok: value }),
              (error: Error) => ({ failed: error.message }),
            ),
        );
        const settled = await Promise.all(results);
        settled.forEach((r, i) => expect(r).toEqual(jobs[i]!.fails ? { failed: `job ${i}` } : { ok: i }));
        for (const [key, order] of Object.entries(started)) {
          expect(order).toEqual(jobs.flatMap((j, i) => (j.key === key ? [i] : [])));
        }
        expect(serial.busy).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('starts an idle key’s job at once, in the same turn', async () => {
    const serial = new KeyedSerial();
    let ran = false;
    const job = serial.run('a', async () => {
      ran = true;
    });
    expect(ran).toBe(true);
    await job;
  });
});

describe('KeyedSerial turns', () => {
  it('hands a held key to those waiting in the order they asked, and frees it after the last', async () => {
    const serial = new KeyedSerial();
    const order: string[] = [];
    expect(serial.tryTake('a')).toBe(true);
    expect(serial.tryTake('a')).toBe(false);
    const second = serial.turn('a').then(() => order.push('second'));
    const third = serial.turn('a').then(() => order.push('third'));
    expect(serial.tryTake('b')).toBe(true);
    serial.release('a');
    await second;
    expect(order).toEqual(['second']);
    serial.release('a');
    await third;
    serial.release('a');
    serial.release('b');
    expect(order).toEqual(['second', 'third']);
    expect(serial.busy).toBe(0);
  });
});
