import { describe, expect, it } from 'vitest';
import { ReplyWindows } from '@switchboard/adapter-qq';

const group = { platform: 'qq', kind: 'group', id: 'G1' } as const;
const c2c = { platform: 'qq', kind: 'user', id: 'U1' } as const;

describe('reply windows', () => {
  it('keeps a window per message, so messages stamped in the same second each get their own reply', () => {
    const now = 1_700_000_000_000;
    const windows = new ReplyWindows({ now: () => now + 300 });
    // QQ stamps in whole seconds: three messages of one chat, one timestamp.
    for (const id of ['A', 'B', 'C']) windows.open({ address: group, msgId: id, at: now });
    const tickets = ['C', 'A', 'B'].map((id) => windows.take(group, { msgId: id }));
    expect(tickets.map((t) => [t?.msgId, t?.seq, t?.fallback])).toEqual([
      ['C', 1, undefined],
      ['A', 1, undefined],
      ['B', 1, undefined],
    ]);
  });

  it('counts msg_seq per message, five replies each, then falls back to another window of the chat', () => {
    const windows = new ReplyWindows();
    windows.open({ address: c2c, msgId: 'A', at: Date.now() });
    windows.open({ address: c2c, msgId: 'B', at: Date.now() });
    const seqs = Array.from({ length: 5 }, () => windows.take(c2c, { msgId: 'A' })!).map((t) => [t.msgId, t.seq]);
    expect(seqs).toEqual([1, 2, 3, 4, 5].map((n) => ['A', n]));
    // A is spent: the sixth reply to A goes through B, and says why. B keeps its own seq count.
    const sixth = windows.take(c2c, { msgId: 'A' })!;
    expect([sixth.msgId, sixth.seq, sixth.fallback]).toEqual(['B', 1, 'spent']);
    expect(windows.take(c2c, { msgId: 'B' })).toMatchObject({ msgId: 'B', seq: 2 });
  });

  it('lets a notification take the freshest window but never the last reply of a message not yet answered', () => {
    const windows = new ReplyWindows();
    windows.open({ address: group, msgId: 'A', at: Date.now() - 1000 });
    windows.open({ address: group, msgId: 'B', at: Date.now() });
    const notes = Array.from({ length: 9 }, () => windows.take(group)?.msgId);
    // B (fresher) gives 4, then A gives 4; each keeps one for its own answer.
    expect(notes).toEqual(['B', 'B', 'B', 'B', 'A', 'A', 'A', 'A', undefined]);
    expect(windows.take(group, { msgId: 'A' })).toMatchObject({ msgId: 'A', seq: 5 });
    expect(windows.take(group, { msgId: 'B' })).toMatchObject({ msgId: 'B', seq: 5 });
  });

  it('gives a refused send’s reply back but never its msg_seq, and forgets a window the platform closed', () => {
    const windows = new ReplyWindows();
    windows.open({ address: c2c, msgId: 'A', at: Date.now() });
    const first = windows.take(c2c, { msgId: 'A' })!;
    windows.refund(first);
    expect(windows.remaining(c2c, 'A')).toBe(5);
    expect(windows.take(c2c, { msgId: 'A' })!.seq).toBe(2);
    windows.close(c2c, first);
    expect(windows.remaining(c2c)).toBe(0);
  });

  it('expires windows (5 min in groups, 60 min one-to-one, minus a margin) and takes one up again after a restart', () => {
    let now = 1_700_000_000_000;
    const windows = new ReplyWindows({ now: () => now });
    windows.open({ address: group, msgId: 'G', at: now });
    windows.open({ address: c2c, msgId: 'U', at: now });
    now += 5 * 60_000 - 4000;
    expect(windows.take(group, { msgId: 'G' })).toBeUndefined();
    expect(windows.take(c2c, { msgId: 'U' })).toMatchObject({ msgId: 'U' });
    // A reply journalled before a restart names its message and when it came: still usable.
    const restarted = new ReplyWindows({ now: () => now });
    expect(restarted.take(c2c, { msgId: 'U0', at: now - 10 * 60_000 })).toMatchObject({ msgId: 'U0', seq: 1 });
    expect(restarted.take(group, { msgId: 'G0', at: now - 10 * 60_000 })).toBeUndefined();
  });

  it('uses an event window (friend added) for notifications and as a reply fallback, with event_id', () => {
    const windows = new ReplyWindows();
    windows.open({ address: c2c, eventId: 'FRIEND_ADD:1', at: Date.now() });
    expect(windows.take(c2c)).toMatchObject({ eventId: 'FRIEND_ADD:1', seq: 1 });
    expect(windows.take(c2c, { msgId: 'gone' })).toMatchObject({ eventId: 'FRIEND_ADD:1', seq: 2, fallback: 'unknown' });
  });
});
