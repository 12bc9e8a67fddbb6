import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryStore, Outbox, type AdapterLimits, type SendRequest, type SendResult } from '@switchboard/core';
import { MemoryAdapter } from '@switchboard/core/testing';
import { ChatPace, type PacedLane } from '../../src/outbox/ChatPace.js';
import { Lane } from '../../src/util/Lanes.js';
import { until } from '../fixtures/harness.js';

const to = (id: string, kind: 'dm' | 'group' = 'group') => ({ platform: 'memory', kind, id });
const outboxes: Outbox[] = [];
afterEach(async () => {
  for (const outbox of outboxes.splice(0)) await outbox.stop();
});

function make(limits: AdapterLimits, respond?: (r: SendRequest) => SendResult | Promise<SendResult>) {
  const adapter = new MemoryAdapter({ limits, ...(respond ? { respond } : {}) });
  const outbox = new Outbox({ store: new MemoryStore(), retryBaseMs: 5, retryMaxMs: 20, random: () => 0.5 });
  outbox.registerAdapter(adapter);
  outboxes.push(outbox);
  const sentAt = new Map<string, number[]>();
  adapter.delivered$.subscribe((r) => {
    const list = sentAt.get(r.to.id) ?? [];
    list.push(performance.now());
    sentAt.set(r.to.id, list);
  });
  return { adapter, outbox, sentAt };
}

const paced = { maxTextLength: 2000, sendRatePerSecond: Infinity, perChat: { ratePerSecond: 5, burst: 5 } } satisfies AdapterLimits;

/** The most sends that fell within any `windowMs`. */
function mostWithin(times: number[], windowMs: number): number {
  let most = 0;
  for (let i = 0; i < times.length; i++) {
    let n = 0;
    for (let j = i; j < times.length && times[j]! - times[i]! < windowMs; j++) n++;
    most = Math.max(most, n);
  }
  return most;
}

class TestLane extends Lane<unknown> implements PacedLane {
  paceLog: Float64Array | undefined = undefined;
  paceNext = 0;
}

describe('per-chat pacing', () => {
  it('never lets more than `burst` sends through in any window, whatever the times asked (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.double({ min: 0.5, max: 50, noNaN: true }), fc.array(fc.double({ min: 0, max: 400, noNaN: true }), { maxLength: 200 }), (burst, rate, gaps) => {
        const pace = new ChatPace(rate, burst);
        const lane = new TestLane('x');
        const granted: number[] = [];
        let now = 0;
        for (const gap of gaps) {
          now += gap;
          if (pace.take(lane, now) === 0) granted.push(now);
        }
        return mostWithin(granted, (burst / rate) * 1000) <= burst;
      }),
    );
  });

  it('answers how long to wait, and grants the send once that has passed', () => {
    const pace = new ChatPace(5, 5);
    const lane = new TestLane('x');
    for (let i = 0; i < 5; i++) expect(pace.take(lane, 0)).toBe(0);
    const wait = pace.take(lane, 100);
    expect(wait).toBeGreaterThan(900);
    expect(pace.take(lane, 100 + wait)).toBe(0);
  });

  it('refuses a rate or burst that makes no sense, naming it', () => {
    expect(() => new ChatPace(0, 5)).toThrow(/per-chat rate/);
    expect(() => new ChatPace(5, 0)).toThrow(/per-chat burst/);
  });

  it('sends at most 5 a second to one chat while another chat is served at once', async () => {
    const { outbox, sentAt } = make(paced);
    outbox.start();
    for (let i = 0; i < 12; i++) await outbox.enqueue({ to: to('busy'), text: `b${i}` });
    const asked = performance.now();
    await outbox.enqueue({ to: to('quiet'), text: 'q' });
    await until(() => (sentAt.get('busy')?.length ?? 0) === 12, 'the busy chat’s backlog', 5000);
    const busy = sentAt.get('busy')!;
    expect(mostWithin(busy, 1000)).toBeLessThanOrEqual(5);
    // Twelve at 5 a second: the last goes out two windows after the first.
    expect(busy.at(-1)! - busy[0]!).toBeGreaterThanOrEqual(2000);
    expect(sentAt.get('quiet')![0]! - asked).toBeLessThan(100);
  });

  it('slows only the chat that was told to wait (a 429 there)', async () => {
    let refused = 0;
    const { outbox, sentAt } = make(paced, (r) => (r.to.id === 'limited' && refused++ < 1 ? { type: 'retry', afterMs: 600, reason: '429 msg limit exceed' } : { type: 'delivered' }));
    outbox.start();
    const asked = performance.now();
    await outbox.enqueue({ to: to('limited'), text: 'l1' });
    for (let i = 0; i < 5; i++) await outbox.enqueue({ to: to(`other${i}`), text: 'o' });
    await until(() => (sentAt.get('limited')?.length ?? 0) === 1, 'the limited chat', 3000);
    for (let i = 0; i < 5; i++) expect(sentAt.get(`other${i}`)![0]! - asked).toBeLessThan(100);
    expect(sentAt.get('limited')![0]! - asked).toBeGreaterThanOrEqual(590);
  });
});

describe('combining on adapters that combine', () => {
  const combining = { maxTextLength: 2000, sendRatePerSecond: Infinity, combine: true } satisfies AdapterLimits;

  it('never joins replies to different messages, even when they wait for one chat together', async () => {
    let open = false;
    const { adapter, outbox } = make(combining, () => (open ? { type: 'delivered' } : { type: 'deferred', reason: 'no window' }));
    outbox.start();
    for (const m of ['m1', 'm2', 'm3']) await outbox.enqueue({ to: to('g'), text: `answer to ${m}`, replyContext: { msgId: m } });
    await until(() => adapter.attempts.length >= 1, 'the first attempt');
    open = true;
    adapter.openWindow(to('g'));
    await until(() => adapter.delivered.length === 3, 'three replies');
    expect(adapter.delivered.map((r) => [r.text, r.replyContext])).toEqual(['m1', 'm2', 'm3'].map((m) => [`answer to ${m}`, { msgId: m }]));
  });

  it('joins notifications held for the chat’s window, but not the replies queued among them', async () => {
    let open = false;
    const { adapter, outbox } = make(combining, () => (open ? { type: 'delivered' } : { type: 'deferred', reason: 'no window' }));
    outbox.start();
    await outbox.enqueue({ to: to('g'), text: 'alert 1' });
    await outbox.enqueue({ to: to('g'), text: 'alert 2' });
    await outbox.enqueue({ to: to('g'), text: 'reply', replyContext: { msgId: 'm1' } });
    await outbox.enqueue({ to: to('g'), text: 'alert 3' });
    await until(() => adapter.attempts.length >= 1, 'the first attempt');
    open = true;
    adapter.openWindow(to('g'));
    await until(() => outbox.size === 0, 'everything delivered');
    expect(adapter.delivered.map((r) => r.text)).toEqual(['alert 1\n\nalert 2', 'reply', 'alert 3']);
  });
});
