import { describe, expect, it } from 'vitest';
import { decodeRecords, deliveredRecord, encodeAccepted, failureRecord, progressRecord } from '../../src/outbox/journalCodec.js';
import { pending, type Body } from '../../src/outbox/Pending.js';

const body = (text: string): Body => ({ parts: [text], priority: 'normal', createdAt: 1, acceptedAt: 2 });
const to = (id: string, platform = 'qq') => ({ platform, kind: 'user' as const, id });

describe('the outbox journal codec', () => {
  it('writes a fan-out as one record and reads back exactly what is still pending, in order', () => {
    const shared = body('alert');
    const fanOut = [0, 1, 2].map((i) => pending(`p-${i}`, to(`U${i}`), shared, 0, undefined, i));
    const reply = pending('x-1', to('U9'), { ...body('reply'), replyContext: { msgId: 'M1', at: 5 } });
    const records = encodeAccepted([...fanOut, reply], 'p-');
    expect(records.map((r) => r.t)).toEqual(['m', 'a']);
    const { live, accepted, acceptRecords } = decodeRecords(
      [...records, progressRecord('x-1', 1), deliveredRecord([], 'p-', [1]), failureRecord('p-2', 'blocked')],
      () => undefined,
    );
    expect(accepted).toBe(4);
    expect(acceptRecords).toBe(2);
    expect([...live.keys()]).toEqual(['p-0', 'x-1']);
    expect(live.get('x-1')).toMatchObject({ next: 1, body: { replyContext: { msgId: 'M1', at: 5 } } });
    expect(live.get('p-0')!.to).toEqual(to('U0'));
  });

  it('skips, and names, records it cannot use', () => {
    const warnings: string[] = [];
    const { live } = decodeRecords([{ t: 'm', to: ['user:U1'], parts: ['x'], priority: 'normal', createdAt: 1, acceptedAt: 1 } as never, { t: 'zz' } as never], (what) => warnings.push(what));
    expect(live.size).toBe(0);
    expect(warnings).toEqual(['skipping a malformed outbox journal record', 'skipping unknown outbox journal record']);
  });
});
