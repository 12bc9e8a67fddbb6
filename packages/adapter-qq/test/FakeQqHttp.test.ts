import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeQqHttp } from '@switchboard/adapter-qq/testing';

// The fake stands in for the platform in tests and benchmarks: it must refuse what the platform refuses.
let fake: FakeQqHttp;
let token: string;
beforeEach(async () => {
  fake = new FakeQqHttp('11111111', 'DG5g3B4j9X2KOErG');
  await fake.start();
  const res = await fetch(`${fake.base}/app/getAppAccessToken`, { method: 'POST', body: JSON.stringify({ appId: '11111111', clientSecret: 'DG5g3B4j9X2KOErG' }) });
  token = ((await res.json()) as { access_token: string }).access_token;
});
afterEach(() => fake.stop());

async function post(path: string, body: Record<string, unknown>): Promise<{ status: number; code?: number }> {
  const res = await fetch(`${fake.base}${path}`, { method: 'POST', headers: { authorization: `QQBot ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const data = (await res.json()) as { code?: number };
  return { status: res.status, ...(data.code !== undefined ? { code: data.code } : {}) };
}

describe('the fake QQ platform is as strict as the real one', () => {
  it('refuses an active message, in one-to-one chats and groups', async () => {
    expect(await post('/v2/users/U1/messages', { content: 'hi', msg_type: 0 })).toEqual({ status: 400, code: 40034102 });
    expect(await post('/v2/groups/G1/messages', { content: 'hi', msg_type: 0 })).toEqual({ status: 400, code: 40034105 });
  });

  it('refuses a msg_id it never delivered, or delivered in another chat', async () => {
    fake.issueMsgId('M1', { kind: 'group', id: 'G1' });
    expect(await post('/v2/groups/G2/messages', { content: 'x', msg_type: 0, msg_id: 'M1', msg_seq: 1 })).toEqual({ status: 400, code: 40034024 });
    expect(await post('/v2/users/G1/messages', { content: 'x', msg_type: 0, msg_id: 'M1', msg_seq: 1 })).toEqual({ status: 400, code: 40034024 });
    expect(await post('/v2/groups/G1/messages', { content: 'x', msg_type: 0, msg_id: 'nope', msg_seq: 1 })).toEqual({ status: 400, code: 40034024 });
    expect(fake.sent).toEqual([]);
  });

  it('refuses a msg_id past its window: 5 minutes in groups, 60 one-to-one', async () => {
    fake.issueMsgId('G-old', { kind: 'group', id: 'G1' }, Date.now() - 6 * 60_000);
    fake.issueMsgId('U-old', { kind: 'user', id: 'U1' }, Date.now() - 6 * 60_000);
    expect((await post('/v2/groups/G1/messages', { content: 'x', msg_type: 0, msg_id: 'G-old', msg_seq: 1 })).code).toBe(40034024);
    expect((await post('/v2/users/U1/messages', { content: 'x', msg_type: 0, msg_id: 'U-old', msg_seq: 1 })).status).toBe(200);
  });

  it('refuses a repeated msg_seq, and a sixth reply to one message', async () => {
    fake.issueMsgId('M1', { kind: 'user', id: 'U1' });
    expect((await post('/v2/users/U1/messages', { content: 'x', msg_type: 0, msg_id: 'M1', msg_seq: 1 })).status).toBe(200);
    expect(await post('/v2/users/U1/messages', { content: 'x', msg_type: 0, msg_id: 'M1', msg_seq: 1 })).toEqual({ status: 400, code: 40054005 });
    for (let seq = 2; seq <= 5; seq++) expect((await post('/v2/users/U1/messages', { content: 'x', msg_type: 0, msg_id: 'M1', msg_seq: seq })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await post('/v2/users/U1/messages', { content: 'x', msg_type: 0, msg_id: 'M1', msg_seq: 6 })).status).toBe(400);
  });

  it('takes event_id only for a window event of that chat', async () => {
    fake.issueEventId('FRIEND_ADD:1', { kind: 'user', id: 'U1' });
    expect((await post('/v2/users/U1/messages', { content: 'x', msg_type: 0, event_id: 'FRIEND_ADD:1', msg_seq: 1 })).status).toBe(200);
    expect((await post('/v2/users/U1/messages', { content: 'x', msg_type: 0, msg_id: 'FRIEND_ADD:1', msg_seq: 2 })).code).toBe(40034024);
  });

  it('refuses a sixth send to one chat within a second (429) but not to another chat', async () => {
    for (let i = 0; i < 6; i++) fake.issueMsgId(`M${i}`, { kind: 'group', id: 'G1' });
    fake.issueMsgId('O', { kind: 'group', id: 'G2' });
    const results = [];
    for (let i = 0; i < 6; i++) results.push((await post('/v2/groups/G1/messages', { content: 'x', msg_type: 0, msg_id: `M${i}`, msg_seq: 1 })).status);
    expect(results).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await post('/v2/groups/G2/messages', { content: 'x', msg_type: 0, msg_id: 'O', msg_seq: 1 })).status).toBe(200);
  });

  it('records which message each accepted reply answers, in which chat', async () => {
    fake.issueMsgId('M1', { kind: 'channel', id: 'CH' });
    await post('/channels/CH/messages', { content: 'x', msg_id: 'M1' });
    expect(fake.sent[0]).toMatchObject({ chat: { kind: 'channel', id: 'CH' }, replyTo: 'M1', seq: 1 });
  });
});
