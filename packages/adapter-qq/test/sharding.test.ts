import { waitUntil as until } from '@switchboard/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QqAdapter, QqConfigSchema, RestClient, TokenManager } from '@switchboard/adapter-qq';
import { FakeGateway, FakeQqHttp } from '@switchboard/adapter-qq/testing';

const secret = 'DG5g3B4j9X2KOErG';
let http: FakeQqHttp;
let gateway: FakeGateway;
beforeEach(async () => {
  http = new FakeQqHttp('11111111', secret);
  await http.start();
  gateway = new FakeGateway();
  await gateway.start();
  http.gatewayUrl = gateway.url;
});
afterEach(async () => {
  await gateway.stop();
  await http.stop();
});


const make = (shards: number) =>
  new QqAdapter({
    config: QqConfigSchema.parse({ appId: '11111111', secret, apiBase: http.base, tokenUrl: `${http.base}/app/getAppAccessToken`, shards }),
    shardStartWindowMs: 300,
  });

describe('sharding', () => {
  it('starts N shards, no more than max_concurrency per window', async () => {
    http.maxConcurrency = 2;
    const adapter = make(4);
    const t0 = Date.now();
    gateway.connections.length = 0;
    const start = adapter.start();
    await until(() => gateway.connections.filter((c) => c.received.some((p) => p.op === 2)).length === 4, 'four identifies');
    await start;
    const shardsSent = gateway.connections.map((c) => (c.received.find((p) => p.op === 2) as { d: { shard: number[] } }).d.shard);
    expect(shardsSent.map((s) => s.join('/')).sort()).toEqual(['0/4', '1/4', '2/4', '3/4']);
    // Two start at once, the next two one window later.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    await adapter.stop();
  });

  it('refuses to start more sessions than the platform has left, saying why', async () => {
    http.sessionsRemaining = 2;
    const adapter = make(3);
    await expect(adapter.start()).rejects.toThrow(/allows 2 more sessions today .*; 3 shards needed/);
    expect(gateway.connections).toHaveLength(0);
    await adapter.stop();
  });
});

describe('token refresh', () => {
  it('refreshes ahead of expiry in the background, so no call meets an expired token', async () => {
    http.expiresIn = '41';
    const tokens = new TokenManager({ appId: '11111111', secret, tokenUrl: `${http.base}/app/getAppAccessToken`, refreshAheadMs: 40_000 });
    const rest = new RestClient({ appId: '11111111', apiBase: http.base, tokens });
    await rest.me();
    await until(() => tokens.refreshes >= 2, 'the background refresh to reach the client', 3000);
    // The first token is now outside the fake's validity: calls work only because the refresh came first.
    http.validFromToken = 2;
    for (let i = 0; i < 5; i++) expect(await rest.me()).toMatchObject({ id: 'bot-1' });
    expect(http.tokenRejections).toBe(0);
    tokens.stop();
    await rest.close();
  });
});
