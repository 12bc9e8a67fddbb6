import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Bridge, MemoryStore, type Address, type SendRequest, type Store } from '@switchboard/core';
import { MemoryAdapter, waitUntil as until } from '@switchboard/core/testing';

/**
 * An adapter as strict as QQ about windows: a chat accepts sends only after its person wrote
 * (`write`), which also announces the window. Each delivery is kept with its platform.
 */
function windowed(name: string) {
  const open = new Set<string>();
  const adapter = new MemoryAdapter({
    name,
    respond: (r) => (open.has(r.to.id) ? { type: 'delivered' } : { type: 'deferred', reason: 'no window' }),
  });
  return {
    adapter,
    open,
    /** The person writes: a window opens and the message reaches the dispatcher. */
    write(id: string, text = 'hello') {
      open.add(id);
      adapter.openWindow({ platform: name, kind: 'dm', id });
      adapter.inject({ from: id, text });
    },
    /** The chat opens without a message (a friend-add). */
    openOnly(id: string) {
      open.add(id);
      adapter.openWindow({ platform: name, kind: 'dm', id });
    },
    texts: (id: string) => adapter.textsTo(id),
  };
}

const running: Bridge[] = [];
afterEach(async () => {
  for (const b of running.splice(0)) await b.stop();
});

async function bridgeWith(store: Store, fallbackAfterMs = 150) {
  const qq = windowed('qq');
  const wechat = windowed('wechat');
  const bridge = new Bridge({
    store,
    adapters: [qq.adapter, wechat.adapter],
    users: [
      { name: 'alice', tier: 'root', identities: [{ platform: 'qq', id: 'AQ' }, { platform: 'wechat', id: 'AW' }] },
      { name: 'bob', tier: 'user', identities: [{ platform: 'wechat', id: 'BW' }] },
    ],
    outbox: { retryBaseMs: 10, retryMaxMs: 40, deferredRecheckMs: 60_000 },
    notifications: { fallbackAfterMs },
  });
  await bridge.start();
  running.push(bridge);
  return { bridge, qq, wechat, alice: () => bridge.directory.get('alice')! };
}

const pageTexts = (texts: string[], page: string) => texts.filter((t) => t.includes(page));

describe('where notifications go', () => {
  it('goes to the platform the person last wrote from (notify last, the default)', async () => {
    const { bridge, qq, wechat, alice } = await bridgeWith(new MemoryStore());
    // Never written: their first identity the bridge can reach.
    expect(bridge.notifier.route(alice()).send.map((d) => d.platform)).toEqual(['qq']);
    wechat.write('AW', 'whoami');
    await until(() => alice().lastPlatform === 'wechat', 'the platform noted');
    await bridge.notifier.notify([alice()], 'disk 91%');
    await until(() => wechat.texts('AW').includes('disk 91%'), 'delivered on WeChat');
    expect(qq.adapter.attempts.filter((r) => r.text === 'disk 91%')).toEqual([]);
    expect(wechat.texts('AW').find((t) => t.startsWith('alice (root)'))).toMatch(/notifications: last \(now wechat, last wrote from wechat\)/);
  });

  it('sends once to every platform with notify all, and to one chosen platform otherwise', async () => {
    const { bridge, qq, wechat, alice } = await bridgeWith(new MemoryStore());
    wechat.write('AW', 'notify all');
    await until(() => wechat.texts('AW').some((t) => t.startsWith('Your notifications now go to: all')), 'the answer');
    qq.openOnly('AQ');
    await bridge.notifier.notify([alice()], 'pump stopped');
    await until(() => qq.texts('AQ').includes('pump stopped') && wechat.texts('AW').includes('pump stopped'), 'both');
    wechat.write('AW', 'notify qq');
    await until(() => alice().notify === 'qq', 'the choice');
    await bridge.notifier.notify([alice()], 'pump started');
    await until(() => qq.texts('AQ').includes('pump started'), 'QQ');
    await new Promise((r) => setTimeout(r, 50));
    expect(pageTexts(wechat.texts('AW'), 'pump started')).toEqual([]);
    expect(pageTexts(qq.texts('AQ'), 'pump')).toHaveLength(2);
  });

  it('refuses a platform the bridge does not run, or one the person cannot be reached on, naming the choices', async () => {
    const { wechat } = await bridgeWith(new MemoryStore());
    wechat.write('BW', 'notify telegram');
    wechat.write('BW', 'notify qq');
    wechat.write('BW', 'notify');
    wechat.write('BW', 'notify:all');
    await until(() => wechat.texts('BW').length === 4, 'four answers');
    expect(wechat.texts('BW')).toEqual([
      '"telegram" is not a platform this bridge runs; choose one of: last, all, wechat.',
      'You have no identity on qq that it can reach; choose one of: last, all, wechat.',
      'Your notifications go to: last (now wechat, last wrote from wechat).\nChoose with "notify <choice>": last, all, wechat.',
      'Your notifications now go to: all (now wechat).',
    ]);
  });

  it('keeps the choice across a restart', async () => {
    const store = new MemoryStore();
    const first = await bridgeWith(store);
    first.wechat.write('AW', 'notify wechat');
    await until(() => first.alice().notify === 'wechat', 'the choice');
    await first.bridge.stop();
    const second = await bridgeWith(store);
    expect(second.alice().notify).toBe('wechat');
    second.qq.write('AQ', 'whoami');
    await until(() => second.qq.texts('AQ').length === 1, 'whoami');
    expect(second.qq.texts('AQ')[0]).toMatch(/notifications: wechat \(now wechat\)/);
  });
});

describe('a critical page falls back to the next platform', () => {
  it('also goes out on WeChat when QQ has not delivered it in time, says so, and is withdrawn from QQ once delivered', async () => {
    const { bridge, qq, wechat, alice } = await bridgeWith(new MemoryStore(), 150);
    wechat.open.add('AW');
    await bridge.notifier.notify([alice()], '#7 reactor: TEMP 410', { critical: true, priority: 'high' });
    await new Promise((r) => setTimeout(r, 60));
    expect(wechat.texts('AW')).toEqual([]);
    await until(() => wechat.texts('AW').length === 1, 'the fallback', 2000);
    expect(wechat.texts('AW')[0]).toBe('↪ Sent here on wechat because it was not delivered on qq within 150ms:\n#7 reactor: TEMP 410');
    // She writes on QQ later: she gets her answer there, not the page a second time.
    qq.write('AQ', 'whoami');
    await until(() => qq.texts('AQ').length === 1, 'her answer');
    await new Promise((r) => setTimeout(r, 100));
    expect(pageTexts(qq.texts('AQ'), 'TEMP 410')).toEqual([]);
    expect(bridge.outbox.size).toBe(0);
  });

  it('is not sent on the next platform when the first delivers in time', async () => {
    const { bridge, qq, wechat, alice } = await bridgeWith(new MemoryStore(), 150);
    wechat.open.add('AW');
    await bridge.notifier.notify([alice()], 'pressure low', { critical: true });
    qq.openOnly('AQ');
    await until(() => qq.texts('AQ').includes('pressure low'), 'QQ');
    await new Promise((r) => setTimeout(r, 250));
    expect(wechat.texts('AW')).toEqual([]);
  });

  it('falls back at once when the first platform refuses it for good', async () => {
    const refusing = new MemoryAdapter({ name: 'qq', respond: () => ({ type: 'failed', reason: 'user blocked the bot' }) });
    const wechat = windowed('wechat');
    wechat.open.add('AW');
    const bridge = new Bridge({
      store: new MemoryStore(),
      adapters: [refusing, wechat.adapter],
      users: [{ name: 'alice', tier: 'root', identities: [{ platform: 'qq', id: 'AQ' }, { platform: 'wechat', id: 'AW' }] }],
      notifications: { fallbackAfterMs: 60_000 },
    });
    await bridge.start();
    running.push(bridge);
    await bridge.notifier.notify([bridge.directory.get('alice')!], 'fire alarm', { critical: true });
    await until(() => wechat.texts('AW').length === 1, 'the fallback', 2000);
    expect(wechat.texts('AW')[0]).toBe('↪ Sent here on wechat because it could not be delivered on qq:\nfire alarm');
  });

  it('resumes its fallback after a restart', async () => {
    const store = new MemoryStore();
    const first = await bridgeWith(store, 400);
    await first.bridge.notifier.notify([first.alice()], 'door forced', { critical: true });
    await first.bridge.stop();
    const second = await bridgeWith(store, 400);
    second.wechat.open.add('AW');
    await until(() => second.wechat.texts('AW').length === 1, 'the fallback after the restart', 3000);
    expect(second.wechat.texts('AW')[0]).toMatch(/door forced$/);
    second.qq.openOnly('AQ');
    await new Promise((r) => setTimeout(r, 100));
    expect(pageTexts(second.qq.texts('AQ'), 'door forced')).toEqual([]);
  });

  it('never pages anyone twice on one platform, whatever order windows open and time passes in (property)', async () => {
    type Step = 'qq' | 'wechat' | 'wait';
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom<Step>('qq', 'wechat', 'wait', 'wait'), { minLength: 1, maxLength: 8 }), async (steps) => {
        const { bridge, qq, wechat, alice } = await bridgeWith(new MemoryStore(), 40);
        const deliveries: { platform: string; at: number }[] = [];
        const watch = (name: string) => (r: SendRequest) => r.text.includes('PAGE') && deliveries.push({ platform: name, at: performance.now() });
        qq.adapter.delivered$.subscribe(watch('qq'));
        wechat.adapter.delivered$.subscribe(watch('wechat'));
        await bridge.notifier.notify([alice()], 'PAGE', { critical: true });
        for (const step of steps) {
          if (step === 'wait') await new Promise((r) => setTimeout(r, 30));
          else (step === 'qq' ? qq : wechat).openOnly(step === 'qq' ? 'AQ' : 'AW');
          await new Promise((r) => setTimeout(r, 5));
        }
        // Every chat opens in the end, one after the other: the page must have found her exactly once.
        qq.openOnly('AQ');
        await new Promise((r) => setTimeout(r, 20));
        wechat.openOnly('AW');
        await until(() => deliveries.length >= 1 && bridge.outbox.size === 0, 'the page delivered and nothing left', 2000);
        await new Promise((r) => setTimeout(r, 60));
        expect(deliveries.map((d) => d.platform)).toHaveLength(1);
        // WeChat only got it when QQ had not delivered it within the fallback time.
        if (deliveries[0]!.platform === 'wechat') expect(steps.filter((s) => s === 'wait').length).toBeGreaterThan(0);
        await bridge.stop();
        running.splice(running.indexOf(bridge), 1);
      }),
      { numRuns: 12 },
    );
  });
});

describe('addresses come from the adapter', () => {
  it('asks the adapter where an identity is reached and skips identities it cannot reach', async () => {
    const qq = new MemoryAdapter({ name: 'qq', addressFor: (i): Address | undefined => (i.id.startsWith('M') ? undefined : { platform: 'qq', kind: 'user', id: i.id }) });
    const wechat = new MemoryAdapter({ name: 'wechat' });
    const bridge = new Bridge({
      store: new MemoryStore(),
      adapters: [qq, wechat],
      users: [
        { name: 'carol', tier: 'user', identities: [{ platform: 'qq', id: 'MEMBER1' }, { platform: 'wechat', id: 'CW' }] },
        { name: 'dan', tier: 'user', identities: [{ platform: 'qq', id: 'U9' }] },
      ],
    });
    await bridge.start();
    running.push(bridge);
    const route = (name: string) => bridge.notifier.route(bridge.directory.get(name)!);
    expect(route('carol').send.map((d) => `${d.platform}:${d.kind}:${d.id}`)).toEqual(['wechat:dm:CW']);
    expect(route('dan').send.map((d) => `${d.platform}:${d.kind}:${d.id}`)).toEqual(['qq:user:U9']);
    await bridge.notifier.notify([bridge.directory.get('dan')!, bridge.directory.get('carol')!], 'hi');
    await until(() => qq.delivered.length === 1 && wechat.delivered.length === 1, 'both');
    expect({ ...qq.delivered[0]!.to }).toMatchObject({ platform: 'qq', kind: 'user', id: 'U9' });
  });
});
