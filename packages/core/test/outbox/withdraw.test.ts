import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore, Outbox, type DeliveryReport, type FinalOutcome, type SendResult } from '@switchboard/core';
import { MemoryAdapter } from '@switchboard/core/testing';
import { until } from '../fixtures/harness.js';

const to = (id: string) => ({ platform: 'memory', kind: 'dm' as const, id });
const outboxes: Outbox[] = [];
afterEach(async () => {
  for (const outbox of outboxes.splice(0)) await outbox.stop();
});

function make(store = new MemoryStore(), respond?: (text: string) => SendResult | Promise<SendResult>) {
  const open = new Set<string>();
  const adapter = new MemoryAdapter({
    respond: (r) => (respond ? respond(r.text) : open.has(r.to.id) ? { type: 'delivered' } : { type: 'deferred', reason: 'no window' }),
  });
  const outbox = new Outbox({ store, retryBaseMs: 5, retryMaxMs: 20, deferredRecheckMs: 60_000 });
  outbox.registerAdapter(adapter);
  const reports: DeliveryReport[] = [];
  outbox.deliveries$.subscribe((r) => reports.push(r));
  outboxes.push(outbox);
  const openWindow = (id: string) => {
    open.add(id);
    adapter.openWindow(to(id));
  };
  return { store, adapter, outbox, reports, openWindow };
}

describe('withdrawing a pending message', () => {
  it('takes back a message waiting for a window: it is reported, never sent, and stays finished after a restart', async () => {
    const first = make();
    first.outbox.start();
    const outcomes: [string, FinalOutcome][] = [];
    const [page, other] = await first.outbox.enqueueMany([{ to: to('a'), text: 'page' }, { to: to('b'), text: 'other' }], {
      onFinal: (id, outcome) => outcomes.push([id, outcome]),
    });
    await until(() => first.reports.filter((r) => r.status === 'deferred').length === 2, 'both deferred');
    expect(first.outbox.withdraw(page!.id, 'delivered elsewhere')).toBe(true);
    expect(first.outbox.withdraw(page!.id, 'twice')).toBe(false);
    first.openWindow('a');
    first.openWindow('b');
    await until(() => first.adapter.delivered.length === 1, 'the other one');
    expect(first.adapter.textsTo('a')).toEqual([]);
    expect(outcomes).toEqual([
      [page!.id, 'withdrawn'],
      [other!.id, 'delivered'],
    ]);
    expect(first.reports.find((r) => r.id === page!.id && r.final)).toMatchObject({ status: 'withdrawn', reason: 'delivered elsewhere' });
    await first.outbox.stop();

    const second = make(first.store);
    expect(await second.outbox.load()).toBe(0);
  });

  it('takes back a message queued behind others, and the rest of the chat goes on in order', async () => {
    const { outbox, adapter, openWindow } = make();
    outbox.start();
    const accepted = await outbox.enqueueMany([1, 2, 3].map((n) => ({ to: to('a'), text: `m${n}` })));
    expect(outbox.withdraw(accepted[1]!.id, 'not needed')).toBe(true);
    openWindow('a');
    await until(() => outbox.size === 0, 'the chat drained');
    expect(adapter.textsTo('a')).toEqual(['m1', 'm3']);
  });

  it('refuses to take back a message the adapter is sending right now', async () => {
    let release!: () => void;
    const sending = new Promise<void>((r) => (release = r));
    const { outbox, adapter } = make(undefined, async () => {
      await sending;
      return { type: 'delivered' };
    });
    outbox.start();
    const [accepted] = await outbox.enqueueMany([{ to: to('a'), text: 'in flight' }]);
    await until(() => adapter.attempts.length === 1, 'the send started');
    expect(outbox.withdraw(accepted!.id, 'too late')).toBe(false);
    release();
    await until(() => adapter.delivered.length === 1, 'delivered');
  });
});

describe('an adapter becoming ready wakes what waits for it', () => {
  it('sends a message held by a "not logged in" retry as soon as the adapter reports ready, not after the retry delay', async () => {
    let loggedIn = false;
    const adapter = new MemoryAdapter({ respond: () => (loggedIn ? { type: 'delivered' } : { type: 'retry', afterMs: 5000, reason: 'not logged in' }) });
    const outbox = new Outbox({ store: new MemoryStore() });
    outboxes.push(outbox);
    outbox.registerAdapter(adapter);
    outbox.start();
    await outbox.enqueue({ to: to('a'), text: 'queued before login' });
    await until(() => adapter.attempts.length === 1, 'the first attempt');
    const loginAt = Date.now();
    loggedIn = true;
    adapter.announce('ready', 'logged in');
    await until(() => adapter.delivered.length === 1, 'delivered after the login', 1000);
    expect(Date.now() - loginAt).toBeLessThan(500);
  });

  it('retries chats held for a window when the adapter comes back', async () => {
    const { outbox, adapter } = make();
    outbox.start();
    await outbox.enqueue({ to: to('a'), text: 'held' });
    await until(() => adapter.attempts.length === 1, 'deferred');
    adapter.announce('reconnecting');
    adapter.announce('ready');
    await until(() => adapter.attempts.length === 2, 'tried again on ready', 1000);
  });
});
