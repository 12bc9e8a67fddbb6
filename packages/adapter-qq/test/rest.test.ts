import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger, type SendRequest } from '@switchboard/core';
import { decodeDispatch, QqApiError, ReplyWindows, RestClient, sendText, stableSeq, TokenManager } from '@switchboard/adapter-qq';
import { FakeQqHttp } from '@switchboard/adapter-qq/testing';

const secret = 'DG5g3B4j9X2KOErG';
let fake: FakeQqHttp;
let tokens: TokenManager;
let rest: RestClient;

beforeEach(async () => {
  fake = new FakeQqHttp('11111111', secret);
  await fake.start();
  tokens = new TokenManager({ appId: '11111111', secret, tokenUrl: `${fake.base}/app/getAppAccessToken` });
  rest = new RestClient({ appId: '11111111', apiBase: fake.base, tokens });
});
afterEach(async () => {
  tokens.stop();
  await rest.close();
  await fake.stop();
});

const c2c = (id: string) =>
  decodeDispatch('C2C_MESSAGE_CREATE', { id, content: 'status', timestamp: new Date().toISOString(), author: { user_openid: 'U1' } }, 'C2C_MESSAGE_CREATE:x');

describe('token manager and REST client', () => {
  it('reads expires_in sent as a string, and shares one refresh among concurrent calls', async () => {
    const all = await Promise.all(Array.from({ length: 10 }, () => tokens.token()));
    expect(new Set(all)).toEqual(new Set(['tok-1']));
    expect(fake.tokensIssued).toBe(1);
    expect(await rest.me()).toEqual({ id: 'bot-1', username: 'switchboard-bot' });
  });

  it('refreshes once and retries once when the platform says the token is gone (11244), with no failed call', async () => {
    await rest.me();
    fake.validFromToken = 2;
    expect(await rest.me()).toMatchObject({ id: 'bot-1' });
    expect(fake.tokensIssued).toBe(2);
  });

  it('turns error answers into QqApiError with status, code and trace id, and no secret or token in the message', async () => {
    const wrong = new TokenManager({ appId: '11111111', secret: 'wrong-secret-value', tokenUrl: `${fake.base}/app/getAppAccessToken` });
    const error = await wrong.token().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QqApiError);
    expect((error as QqApiError).name).toBe('QqApiError[100016]');
    expect((error as QqApiError).message).not.toContain('wrong-secret-value');
    const missing = await rest.call('GET', '/nope').catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, platformCode: 404, traceId: expect.stringMatching(/^trace-/) });
    expect((missing as Error).message).not.toMatch(/tok-\d/);
  });
});

describe('sending within reply windows', () => {
  const to = { platform: 'qq', kind: 'user', id: 'U1' } as const;
  const opts = { activeMessages: false, markdown: false, logger: silentLogger };
  let n = 0;
  const req = (text: string, replyContext?: unknown): SendRequest => ({ id: `o${++n}`, to, text, attempt: 1, ...(replyContext ? { replyContext } : {}) });

  it('defers without a window, then replies passively with a fresh msg_seq each time, at most five per message', async () => {
    const windows = new ReplyWindows();
    expect(await sendText(rest, windows, req('hello'), opts)).toMatchObject({ type: 'deferred' });
    const decoded = c2c(fake.issueMsgId('M1', { kind: 'user', id: 'U1' }));
    if (decoded.kind !== 'message') throw new Error('expected a message');
    windows.open(decoded.window);
    const results = [];
    for (let i = 0; i < 6; i++) results.push((await sendText(rest, windows, req(`reply ${i}`, decoded.inbound.replyContext), opts)).type);
    expect(results).toEqual(['delivered', 'delivered', 'delivered', 'delivered', 'delivered', 'deferred']);
    // Each send's msg_seq comes from its own id: the same part sent again (a retry, another process) has the same one.
    expect(fake.sent.map((s) => [s.body.msg_id, s.body.msg_seq])).toEqual([2, 3, 4, 5, 6].map((n) => ['M1', stableSeq(`o${n}`, 'M1')]));
    expect(new Set(fake.sent.map((s) => s.body.msg_seq)).size).toBe(5);
  });

  it('a part sent again after a crash (a fresh process, same outbox id) is refused by the platform as a repeat, and counts as delivered', async () => {
    const decoded = c2c(fake.issueMsgId('M9', { kind: 'user', id: 'U1' }));
    if (decoded.kind !== 'message') throw new Error('expected a message');
    const part: SendRequest = { id: 'o-crash#1', to, text: 'once', attempt: 1, replyContext: decoded.inbound.replyContext };
    const before = new ReplyWindows();
    before.open(decoded.window);
    expect(await sendText(rest, before, part, opts)).toMatchObject({ type: 'delivered' });
    // The process died before it recorded the delivery; the next one knows the window only from the reply context.
    const after = new ReplyWindows();
    expect(await sendText(rest, after, { ...part, attempt: 2 }, opts)).toMatchObject({ type: 'delivered' });
    expect(fake.sent.filter((s) => s.body.msg_id === 'M9').map((s) => s.body.content)).toEqual(['once']);
    expect(fake.refusals.map((r) => r.code)).toContain(40054005);
    // A different part through the same window is a new reply.
    expect(await sendText(rest, after, { ...part, id: 'o-crash#2', text: 'twice' }, opts)).toMatchObject({ type: 'delivered' });
    expect(fake.sent.filter((s) => s.body.msg_id === 'M9')).toHaveLength(2);
  });

  it('retries 429, recovers from a reused msg_seq, and fails policy refusals with the platform’s reason', async () => {
    const windows = new ReplyWindows();
    const decoded = c2c(fake.issueMsgId('M2', { kind: 'user', id: 'U1' }));
    if (decoded.kind !== 'message') throw new Error('expected a message');
    windows.open(decoded.window);
    const ctx = decoded.inbound.replyContext;
    fake.rateLimitNext = 1;
    expect(await sendText(rest, windows, req('a', ctx), opts)).toMatchObject({ type: 'retry' });
    expect(await sendText(rest, windows, req('a', ctx), opts)).toMatchObject({ type: 'delivered' });
    fake.failNextWith = { status: 400, code: 40054010, message: '消息发送失败, 不允许发送url github.com' };
    const refused = await sendText(rest, windows, req('see github.com', ctx), opts);
    expect(refused).toMatchObject({ type: 'failed' });
    expect((refused as { reason: string }).reason).toContain('不允许发送url');
  });

  it('treats an expired window as deferred and forgets it', async () => {
    const windows = new ReplyWindows();
    const decoded = c2c(fake.issueMsgId('M3', { kind: 'user', id: 'U1' }, Date.now() - 2 * 60 * 60_000));
    if (decoded.kind !== 'message') throw new Error('expected a message');
    // The event says it is fresh, the platform knows better.
    windows.open({ ...decoded.window, at: Date.now() });
    expect(await sendText(rest, windows, req('late', decoded.inbound.replyContext), opts)).toMatchObject({ type: 'deferred' });
    expect(windows.remaining(to)).toBe(0);
  });
});
