// What the outbox reports of itself for /metrics and the web console: totals per platform, and the last messages that ended.
import { describe, expect, it } from 'vitest';
import { MemoryStore, Outbox, type SendResult } from '@switchboard/core';
import { MemoryAdapter, waitUntil } from '@switchboard/core/testing';

describe('the outbox\'s own counts', () => {
  it('counts per platform what was accepted, delivered, failed and retried, and remembers what ended, failures apart', async () => {
    const results: SendResult[] = [{ type: 'retry', afterMs: 1, reason: 'busy' }, { type: 'delivered' }, { type: 'failed', reason: 'blocked' }];
    const adapter = new MemoryAdapter({ respond: () => results.shift() ?? { type: 'delivered' } });
    const outbox = new Outbox({ store: new MemoryStore() });
    outbox.registerAdapter(adapter);
    await outbox.load();
    outbox.start();
    outbox.keepRecent(4);
    const to = { platform: 'memory', kind: 'dm' as const, id: 'ann' };
    for (const text of ['a', 'b', 'c', 'd', 'e', 'f']) await outbox.enqueue({ to, text, createdAt: Date.now(), priority: 'normal' });
    await waitUntil(() => outbox.size === 0, 'all six to end');
    expect(outbox.counts().get('memory')).toEqual({ accepted: 6, delivered: 5, failed: 1, withdrawn: 0, retried: 1, deferred: 0, windowWaits: 0 });
    const recent = outbox.recent();
    // The last four delivered, and the failure kept apart from them.
    expect(recent.filter((m) => m.status === 'delivered')).toHaveLength(4);
    expect(recent.filter((m) => m.status === 'failed')).toMatchObject([{ reason: 'blocked', to }]);
    expect(outbox.pendingByPlatform()).toEqual(new Map());
    await outbox.stop();
  });
});
