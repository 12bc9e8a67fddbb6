import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore, Outbox, type DeliveryReport, type OutboundMessage, type OutboxOptions, type SendRequest, type SendResult } from '@switchboard/core';
import { MemoryAdapter } from '@switchboard/core/testing';
import { until } from '../fixtures/harness.js';

const to = (id: string, kind: 'dm' | 'group' = 'dm') => ({ platform: 'memory', kind, id });
const outboxes: Outbox[] = [];

function make(respond?: (r: SendRequest) => SendResult | Promise<SendResult>, options: Partial<OutboxOptions> = {}, limits?: MemoryAdapter['limits']) {
  const store = (options.store as MemoryStore | undefined) ?? new MemoryStore();
  const adapter = new MemoryAdapter({ ...(respond ? { respond } : {}), ...(limits ? { limits } : {}) });
  const outbox = new Outbox({ retryBaseMs: 5, retryMaxMs: 20, random: () => 0.5, ...options, store });
  outbox.registerAdapter(adapter);
  const reports: DeliveryReport[] = [];
  outbox.deliveries$.subscribe((r) => reports.push(r));
  outboxes.push(outbox);
  return { store, adapter, outbox, reports };
}

afterEach(async () => {
  for (const outbox of outboxes.splice(0)) await outbox.stop();
});

describe('Outbox', () => {
  it('keeps per-destination order through retries while other destinations go ahead', async () => {
    let failures = 0;
    const { adapter, outbox } = make((r) =>
      r.to.id === 'a' && r.text === 'a1' && failures++ < 3 ? { type: 'retry', reason: 'busy' } : { type: 'delivered' },
    );
    outbox.start();
    for (const text of ['a1', 'a2', 'a3']) await outbox.enqueue({ to: to('a'), text });
    await outbox.enqueue({ to: to('b'), text: 'b1' });
    await until(() => adapter.delivered.length === 4, 'four deliveries');
    expect(adapter.textsTo('a')).toEqual(['a1', 'a2', 'a3']);
    expect(adapter.delivered.findIndex((r) => r.text === 'b1')).toBeLessThan(adapter.delivered.findIndex((r) => r.text === 'a1'));
    expect(adapter.attempts.filter((r) => r.text === 'a1').map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
  });

  it('honours the retry-after an adapter reports', async () => {
    const times: number[] = [];
    let first = true;
    const { adapter, outbox, reports } = make(() => {
      times.push(Date.now());
      if (first) {
        first = false;
        return { type: 'retry', afterMs: 200, reason: 'rate limited' };
      }
      return { type: 'delivered' };
    });
    outbox.start();
    await outbox.enqueue({ to: to('a'), text: 'hello' });
    await until(() => reports.some((r) => r.final), 'the final report');
    expect(adapter.delivered).toHaveLength(1);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(195);
    expect(reports.map((r) => r.status)).toEqual(['retrying', 'delivered']);
    expect(reports[0]!.reason).toBe('rate limited');
  });

  it('treats an adapter that throws as a transient failure', async () => {
    let calls = 0;
    const { adapter, outbox } = make(() => {
      if (calls++ === 0) throw new Error('ECONNRESET');
      return { type: 'delivered' };
    });
    outbox.start();
    await outbox.enqueue({ to: to('a'), text: 'x' });
    await until(() => adapter.delivered.length === 1, 'the delivery');
    expect(calls).toBe(2);
  });

  it('reports a permanent failure with its reason and moves on to the next message', async () => {
    const { adapter, outbox, reports } = make((r) => (r.text === 'bad' ? { type: 'failed', reason: 'content not allowed' } : { type: 'delivered' }));
    outbox.start();
    const bad = await outbox.enqueue({ to: to('a'), text: 'bad' });
    const good = await outbox.enqueue({ to: to('a'), text: 'good' });
    await until(() => reports.some((r) => r.id === good.id && r.final), 'the good one');
    expect(adapter.textsTo('a')).toEqual(['good']);
    expect(reports.find((r) => r.id === bad.id)).toMatchObject({ status: 'failed', final: true, reason: 'content not allowed' });
    expect(outbox.size).toBe(0);
  });

  it('gives up on a message still failing after giveUpAfterMs and says why', async () => {
    const { outbox, reports } = make(() => ({ type: 'retry', reason: 'HTTP 503' }), { giveUpAfterMs: 60 });
    outbox.start();
    await outbox.enqueue({ to: to('a'), text: 'x' });
    await until(() => reports.some((r) => r.final), 'a final report');
    expect(reports.at(-1)).toMatchObject({ status: 'failed' });
    expect(reports.at(-1)!.reason).toMatch(/^gave up after \d+ attempts over .*: HTTP 503$/);
  });

  it('holds deferred messages until the adapter announces a window, without blocking other chats', async () => {
    let windowOpen = false;
    const { adapter, outbox, reports } = make((r) =>
      r.to.id === 'g' && !windowOpen ? { type: 'deferred', reason: 'no reply window' } : { type: 'delivered' },
    );
    outbox.start();
    await outbox.enqueue({ to: to('g', 'group'), text: 'alert 1' });
    await outbox.enqueue({ to: to('g', 'group'), text: 'alert 2' });
    await outbox.enqueue({ to: to('u'), text: 'other' });
    await until(() => adapter.textsTo('u').length === 1, 'the other chat');
    expect(await outbox.drain(100)).toBe(true);
    expect(outbox.size).toBe(2);
    expect(outbox.deferredCount).toBe(2);
    expect(reports.filter((r) => r.status === 'deferred')).toHaveLength(1);
    windowOpen = true;
    adapter.openWindow(to('g', 'group'));
    await until(() => adapter.textsTo('g').length === 2, 'the held messages');
    expect(adapter.textsTo('g')).toEqual(['alert 1', 'alert 2']);
  });

  it('splits text longer than the adapter allows at line boundaries, in order', async () => {
    const { adapter, outbox, reports } = make(undefined, {}, { maxTextLength: 20, sendRatePerSecond: Infinity });
    outbox.start();
    const text = ['line one is here', 'line two is here', 'line three here'].join('\n');
    const accepted = await outbox.enqueue({ to: to('a'), text });
    expect(accepted.parts).toBe(3);
    await until(() => reports.some((r) => r.final), 'the final report');
    expect(adapter.textsTo('a')).toEqual(['line one is here', 'line two is here', 'line three here']);
    expect(adapter.delivered.map((r) => r.id)).toEqual([1, 2, 3].map((n) => `${accepted.id}#${n}`));
    expect(reports.filter((r) => r.final)).toHaveLength(1);
  });

  it('paces sends at the adapter’s rate', async () => {
    const { adapter, outbox } = make(undefined, {}, { maxTextLength: 100, sendRatePerSecond: 20 });
    outbox.start();
    const t0 = Date.now();
    for (let i = 0; i < 8; i++) await outbox.enqueue({ to: to(`chat${i}`), text: `m${i}` });
    await until(() => adapter.delivered.length === 8, 'eight deliveries');
    // One token at start, then one every 50 ms.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(330);
  });

  it('refuses what it cannot send, naming the problem, and accepts nothing', async () => {
    const { outbox } = make();
    outbox.start();
    await expect(outbox.enqueue({ to: { platform: 'qq', kind: 'dm', id: 'x' }, text: 'hi' })).rejects.toThrow(
      'no adapter serves platform "qq"; cannot send to qq:dm:x',
    );
    await expect(outbox.enqueue({ to: to('a'), text: '  ' })).rejects.toThrow('message to memory:dm:a has no text');
    await expect(outbox.enqueue({ to: { platform: 'memory', kind: 'room' as never, id: 'a' }, text: 'x' })).rejects.toThrow(/kind must be/);
    // A batch is refused whole, whichever member is bad (the check of a repeated text is not repeated).
    const batches: OutboundMessage[][] = [
      [{ to: to('a'), text: undefined as never }, { to: to('b'), text: undefined as never }],
      [{ to: to('a'), text: 'fine' }, { to: to('b'), text: 'fine' }, { to: to('c'), text: ' ' }],
      [{ to: to('a'), text: 'fine' }, { to: { platform: 'memory', kind: 'dm' as const, id: '' }, text: 'fine' }],
    ];
    for (const batch of batches) await expect(outbox.enqueueMany(batch)).rejects.toThrow(/has no text|no valid destination/);
    expect(outbox.size).toBe(0);
  });

  it('collapses a message whose dedupe key is still pending for the same chat', async () => {
    const { adapter, outbox, reports } = make((r) => (r.to.id === 'a' ? { type: 'deferred', reason: 'later' } : { type: 'delivered' }));
    outbox.start();
    const first = await outbox.enqueue({ to: to('a'), text: 'disk full', dedupeKey: 'disk' });
    const second = await outbox.enqueue({ to: to('a'), text: 'disk full', dedupeKey: 'disk' });
    const elsewhere = await outbox.enqueue({ to: to('b'), text: 'disk full', dedupeKey: 'disk' });
    expect(second).toEqual({ id: first.id, parts: 1, duplicate: true });
    expect(elsewhere.duplicate).toBe(false);
    await until(() => reports.some((r) => r.id === elsewhere.id && r.final), 'b’s copy');
    expect(adapter.textsTo('b')).toEqual(['disk full']);
    expect(outbox.size).toBe(1);
  });

  it('stops promptly when a send answers "deferred" after stop() began', async () => {
    let answer!: (result: SendResult) => void;
    const { adapter, outbox } = make(() => new Promise<SendResult>((resolve) => (answer = resolve)));
    outbox.start();
    await outbox.enqueue({ to: to('a'), text: 'waits for a window' });
    await until(() => adapter.attempts.length === 1, 'the send');
    const stopped = outbox.stop();
    answer({ type: 'deferred', reason: 'no window' });
    const started = performance.now();
    await stopped;
    // It used to wait on the window (or stop()'s 10 s cap) with an abort signal that had already fired.
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('resumes what was accepted but not delivered after a restart, in order, from the part it reached', async () => {
    const store = new MemoryStore();
    let sent = 0;
    const down = make((r) => (r.text.startsWith('p') && sent++ < 1 ? { type: 'delivered' } : { type: 'retry', reason: 'down' }), {
      store,
    }, { maxTextLength: 6, sendRatePerSecond: Infinity });
    down.outbox.start();
    await down.outbox.enqueue({ to: to('a'), text: 'p1 aa\np2 bb\np3 cc' });
    await down.outbox.enqueue({ to: to('a'), text: 'second' });
    await until(() => down.adapter.delivered.length === 1, 'the first part');
    await down.outbox.stop();

    const up = make(undefined, { store }, { maxTextLength: 6, sendRatePerSecond: Infinity });
    expect(await up.outbox.load()).toBe(2);
    up.outbox.start();
    await until(() => up.adapter.delivered.length === 3, 'the rest');
    expect(up.adapter.textsTo('a')).toEqual(['p2 bb', 'p3 cc', 'second']);
  });

  it('compacts its journal down to what is still pending', async () => {
    const store = new MemoryStore();
    const { adapter, outbox } = make((r) => (r.to.id === 'stuck' ? { type: 'deferred', reason: 'later' } : { type: 'delivered' }), {
      store,
      compactAfter: 10,
    });
    outbox.start();
    await outbox.enqueue({ to: to('stuck'), text: 'keep me' });
    for (let i = 0; i < 25; i++) await outbox.enqueue({ to: to('a'), text: `m${i}` });
    await until(() => adapter.delivered.length === 25, 'all deliveries');
    await outbox.stop();
    const records = await store.journal('outbox').readAll();
    expect(records.length).toBeLessThan(20);
    const reloaded = make(undefined, { store });
    expect(await reloaded.outbox.load()).toBe(1);
  });
});

describe('Outbox journal ids', () => {
  it('records deliveries by number for its own ids and in full for ids from before a restart', async () => {
    const store = new MemoryStore();
    const first = make(() => ({ type: 'deferred', reason: 'no window' }), { store });
    first.outbox.start();
    const old = await first.outbox.enqueue({ to: to('a'), text: 'from the first run' });
    await first.outbox.stop();

    const second = make(undefined, { store });
    expect(await second.outbox.load()).toBe(1);
    second.outbox.start();
    const fresh = await second.outbox.enqueueMany([to('b'), to('c')].map((chat) => ({ to: chat, text: 'from the second run' })));
    await until(() => second.adapter.delivered.length === 3, 'all three');
    await second.outbox.stop();
    const done = ((await store.journal('outbox').readAll()) as { t: string; ids?: string[]; p?: string; s?: number[] }[]).filter((r) => r.t === 'D');
    expect(done.flatMap((r) => r.ids ?? [])).toEqual([old.id]);
    expect(done.flatMap((r) => (r.s ?? []).map((n) => r.p! + n.toString(36)))).toEqual(fresh.map((a) => a.id));
    // And a third run finds nothing left to send.
    expect(await make(undefined, { store }).outbox.load()).toBe(0);
  });

  it('never reuses an id still pending from an earlier run, even with the clock set back', async () => {
    const store = new MemoryStore();
    const now = vi.spyOn(Date, 'now').mockReturnValue(1_763_900_000_000);
    try {
      const first = make((r) => (r.to.id === 'held' ? { type: 'deferred', reason: 'no window' } : { type: 'delivered' }), { store });
      first.outbox.start();
      const held = await first.outbox.enqueue({ to: to('held'), text: 'still pending' });
      await first.outbox.stop();
      // The same millisecond again: the next run would otherwise number its ids exactly as the first did.
      const second = make((r) => (r.to.id === 'held' ? { type: 'deferred', reason: 'no window' } : { type: 'delivered' }), { store });
      expect(await second.outbox.load()).toBe(1);
      second.outbox.start();
      const next = await second.outbox.enqueue({ to: to('other'), text: 'new' });
      expect(next.id).not.toBe(held.id);
      await until(() => second.adapter.delivered.length === 1, 'the new message');
      await second.outbox.stop();
      // The delivery of the new message must not finish the held one.
      const third = make(undefined, { store });
      expect(await third.outbox.load()).toBe(1);
      third.outbox.start();
      await until(() => third.adapter.delivered.length === 1, 'the held message');
      expect(third.adapter.delivered[0]).toMatchObject({ id: held.id, text: 'still pending' });
    } finally {
      now.mockRestore();
    }
  });
});

describe('Outbox destinations', () => {
  it('checks a destination once, when made, and delivers to it like to the plain address', async () => {
    const { adapter, outbox } = make();
    expect(() => outbox.destination({ platform: 'memory', kind: 'dm', id: '' })).toThrow(/no valid destination/);
    expect(() => outbox.destination({ platform: 'memory', kind: 'room' as never, id: 'a' })).toThrow(/kind must be/);
    outbox.start();
    const a = outbox.destination(to('a'));
    const b = outbox.destination(to('b'));
    await outbox.enqueueMany([a, b].map((chat) => ({ to: chat, text: 'fan' })));
    await outbox.enqueue({ to: a, text: 'single' });
    await outbox.enqueue({ to: to('a'), text: 'plain' });
    await until(() => adapter.delivered.length === 4, 'four deliveries');
    expect(adapter.textsTo('a')).toEqual(['fan', 'single', 'plain']);
    // It serialises as the address it stands for.
    expect(JSON.parse(JSON.stringify(a))).toEqual(to('a'));
  });

  it('treats a destination made by another outbox as a plain address', async () => {
    const store = new MemoryStore();
    const other = make().outbox;
    const { adapter, outbox } = make(undefined, { store });
    outbox.start();
    const foreign = other.destination(to('x'));
    await outbox.enqueueMany([foreign, other.destination(to('y'))].map((chat) => ({ to: chat, text: 'hello' })));
    await outbox.enqueue({ to: foreign, text: 'again' });
    await until(() => adapter.delivered.length === 3, 'three deliveries');
    expect(adapter.textsTo('x')).toEqual(['hello', 'again']);
    const single = ((await store.journal('outbox').readAll()) as { t: string; e?: { to: unknown } }[]).find((r) => r.t === 'a');
    expect(single?.e?.to).toEqual(to('x'));
  });
});

describe('Outbox multicast', () => {
  it('journals one text to many chats as one record, and after a restart delivers exactly the members not yet done', async () => {
    const store = new MemoryStore();
    const held = new Set(['c', 'e']);
    const first = make((r) => (held.has(r.to.id) ? { type: 'deferred', reason: 'no window' } : { type: 'delivered' }), { store });
    first.outbox.start();
    const accepted = await first.outbox.enqueueMany(['a', 'b', 'c', 'd', 'e'].map((id) => ({ to: to(id), text: 'disk full on nas' })));
    expect(new Set(accepted.map((a) => a.id)).size).toBe(5);
    const appended = (await store.journal('outbox').readAll()) as { t: string; p: string; s: number }[];
    // Members numbered in a row: the record names the first, not every id.
    expect(appended).toEqual([expect.objectContaining({ t: 'm', p: expect.any(String), s: expect.any(Number) })]);
    expect(appended[0]).not.toHaveProperty('ids');
    const { p, s } = appended[0]!;
    expect(accepted.map((a) => a.id)).toEqual([0, 1, 2, 3, 4].map((i) => p + (s + i).toString(36)));
    await until(() => first.adapter.delivered.length === 3, 'the three open chats');
    await first.outbox.stop();

    const second = make(undefined, { store });
    expect(await second.outbox.load()).toBe(2);
    // The compaction on load keeps the two survivors as one shared record.
    const compacted = (await store.journal('outbox').readAll()) as { t: string; ids?: string[] }[];
    expect(compacted).toEqual([expect.objectContaining({ t: 'm', ids: [accepted[2]!.id, accepted[4]!.id] })]);
    second.outbox.start();
    await until(() => second.adapter.delivered.length === 2, 'the held chats');
    expect(second.adapter.delivered.map((r) => [r.to.id, r.text, r.id])).toEqual([
      ['c', 'disk full on nas', accepted[2]!.id],
      ['e', 'disk full on nas', accepted[4]!.id],
    ]);
  });

  it('writes a multicast’s destinations as kind:id on one platform, and still reads address objects', async () => {
    const store = new MemoryStore();
    const first = make(() => ({ type: 'deferred', reason: 'no window' }), { store });
    first.outbox.start();
    const chats = [to('a'), to('room:with:colons', 'group')];
    const accepted = await first.outbox.enqueueMany(chats.map((chat) => ({ to: chat, text: 'backup failed' })));
    const [record] = (await store.journal('outbox').readAll()) as Record<string, unknown>[];
    expect(record).toMatchObject({ t: 'm', platform: 'memory', to: ['dm:a', 'group:room:with:colons'] });
    await first.outbox.stop();

    // A journal written before: address objects. And a member naming a chat kind that does not exist.
    const journal = store.journal('outbox');
    await journal.append([
      { t: 'm', ids: ['old-1', 'old-2'], to: [to('b'), to('c')], parts: ['old'], priority: 'normal', createdAt: 1, acceptedAt: 1 },
      { t: 'm', ids: ['bad-1'], platform: 'memory', to: ['planet:x'], parts: ['bad'], priority: 'normal', createdAt: 1, acceptedAt: 1 },
    ]);
    const second = make(undefined, { store });
    expect(await second.outbox.load()).toBe(4);
    second.outbox.start();
    await until(() => second.adapter.delivered.length === 4, 'all four');
    expect(second.adapter.delivered.map((r) => [r.id, r.to])).toEqual([
      [accepted[0]!.id, to('a')],
      [accepted[1]!.id, to('room:with:colons', 'group')],
      ['old-1', to('b')],
      ['old-2', to('c')],
    ]);
  });

  it('lets timers and I/O run while it works through a large fan-out to an adapter that answers at once', async () => {
    // Each answer takes a few microseconds of CPU, so the fan-out needs well over one turn's 10 ms
    // budget however fast the outbox itself gets.
    const { adapter, outbox } = make(() => {
      for (const until = performance.now() + 0.003; performance.now() < until; );
      return { type: 'delivered' };
    });
    outbox.start();
    const total = 30_000;
    await outbox.enqueueMany(Array.from({ length: total }, (_, i) => ({ to: to(`u${i}`), text: 'fan-out' })));
    // Without yielding, every send would run in one chain of microtasks before this timer could fire.
    const seenByTimer = await new Promise<number>((resolve) => setTimeout(() => resolve(adapter.delivered.length), 0));
    expect(seenByTimer).toBeLessThan(total);
    await until(() => adapter.delivered.length === total, 'every delivery', 20_000);
    expect(outbox.size).toBe(0);
  });

  it('stops with lanes waiting for their turn and leaves their messages to the next start', async () => {
    const store = new MemoryStore();
    const busy = (): SendResult => {
      for (const until = performance.now() + 0.003; performance.now() < until; );
      return { type: 'delivered' };
    };
    const first = make(busy, { store });
    first.outbox.start();
    const total = 20_000;
    await first.outbox.enqueueMany(Array.from({ length: total }, (_, i) => ({ to: to(`u${i}`), text: 'fan-out' })));
    await new Promise((resolve) => setTimeout(resolve, 0));
    await first.outbox.stop();
    const sent = first.adapter.delivered.length;
    expect(sent).toBeLessThan(total);
    const second = make(busy, { store });
    expect(await second.outbox.load()).toBe(total - sent);
    second.outbox.start();
    await until(() => second.adapter.delivered.length === total - sent, 'the rest', 20_000);
    const ids = new Set([...first.adapter.delivered, ...second.adapter.delivered].map((r) => r.to.id));
    expect(ids.size).toBe(total);
  });

  it('keeps each chat’s order when a batch names a chat twice', async () => {
    const store = new MemoryStore();
    const first = make(() => ({ type: 'retry', reason: 'down' }), { store, retryBaseMs: 60_000, retryMaxMs: 60_000 });
    first.outbox.start();
    await first.outbox.enqueueMany([
      { to: to('a'), text: 'one' },
      { to: to('b'), text: 'two' },
      { to: to('a'), text: 'two' },
    ]);
    await first.outbox.stop();
    const second = make(undefined, { store });
    expect(await second.outbox.load()).toBe(3);
    second.outbox.start();
    await until(() => second.adapter.delivered.length === 3, 'all three');
    expect(second.adapter.textsTo('a')).toEqual(['one', 'two']);
  });
});

describe('Outbox combining', () => {
  it('sends messages waiting for one chat as one, for adapters that combine, within the length limit', async () => {
    let open = false;
    const { adapter, outbox, reports } = make(() => (open ? { type: 'delivered' } : { type: 'deferred', reason: 'no window' }), {}, {
      maxTextLength: 30,
      sendRatePerSecond: Infinity,
      combine: true,
    });
    outbox.start();
    const ids = [];
    for (const text of ['alert one', 'alert two', 'alert three', 'alert four']) ids.push((await outbox.enqueue({ to: to('g', 'group'), text })).id);
    await until(() => reports.some((r) => r.status === 'deferred'), 'the deferral');
    open = true;
    adapter.openWindow(to('g', 'group'));
    await until(() => reports.filter((r) => r.final).length === 4, 'all four final');
    // 9 + 2 + 9 + 2 + 11 = 33 > 30, so the first send carries two, the next two.
    expect(adapter.textsTo('g')).toEqual(['alert one\n\nalert two', 'alert three\n\nalert four']);
    expect(outbox.size).toBe(0);
  });
});
