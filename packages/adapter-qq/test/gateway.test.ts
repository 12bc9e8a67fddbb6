import { silentLogger } from '@switchboard/core';
import { waitUntil as until } from '@switchboard/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classifyClose, type GatewayPayload, GatewayShard, intentBits, type ShardStatus } from '@switchboard/adapter-qq';
import { FakeGateway } from '@switchboard/adapter-qq/testing';

let gateway: FakeGateway;
let shard: GatewayShard;
let dispatched: GatewayPayload[];
let statuses: ShardStatus[];
let tokenCalls: number;

const ops = (n: number) => (gateway.connections[n]?.received ?? []).map((p) => p.op);

beforeEach(async () => {
  gateway = new FakeGateway();
  await gateway.start();
  dispatched = [];
  statuses = [];
  tokenCalls = 0;
  shard = new GatewayShard({
    url: gateway.url,
    shard: [0, 1],
    intents: intentBits(['PUBLIC_GUILD_MESSAGES', 'GROUP_AND_C2C_EVENT']),
    token: async () => `tok-${++tokenCalls}`,
    onDispatch: (p) => dispatched.push(p),
    backoff: { baseMs: 10, maxMs: 40 },
  });
  shard.status$.subscribe((s) => statuses.push(s));
});
afterEach(async () => {
  shard.stop();
  await gateway.stop();
});

const ready = () => until(() => statuses.at(-1)?.state === 'ready', 'ready');

describe('gateway shard', () => {
  it('waits for its start slot before identifying, and stopped meanwhile sends nothing and keeps no heartbeat', async () => {
    let release!: () => void;
    const slot = new Promise<void>((r) => (release = r));
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (_: unknown, msg: string) => void warnings.push(msg), child: () => logger };
    const waiting = new GatewayShard({
      url: gateway.url,
      shard: [1, 2],
      intents: 1,
      token: async () => 'tok',
      onDispatch: () => undefined,
      beforeIdentify: () => slot,
      logger,
    });
    gateway.heartbeatInterval = 20;
    waiting.start();
    await until(() => gateway.connections.length === 1 && gateway.connections[0]!.socket.readyState === 1, 'the connection');
    await new Promise((r) => setTimeout(r, 50));
    expect(ops(0)).toEqual([]);
    waiting.stop();
    release();
    await new Promise((r) => setTimeout(r, 150));
    expect(ops(0)).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('identifies with the access token, intents and shard, and becomes ready', async () => {
    shard.start();
    await ready();
    const identify = gateway.connections[0]!.received[0] as { op: number; d: Record<string, unknown> };
    expect(identify).toMatchObject({ op: 2, d: { token: 'QQBot tok-1', intents: (1 << 30 | 1 << 25) >>> 0, shard: [0, 1] } });
    expect(shard.session).toMatchObject({ sessionId: 'sess-1' });
  });

  it('heartbeats on the server’s interval carrying the last seq', async () => {
    shard.start();
    await ready();
    const s = gateway.dispatch('C2C_MESSAGE_CREATE', { id: 'M1' });
    await until(() => gateway.connections[0]!.received.some((p) => p.op === 1 && p.d === s), 'a heartbeat with the last seq');
    expect(dispatched.map((p) => p.t)).toEqual(['C2C_MESSAGE_CREATE']);
  });

  it('resumes after 4009 with session id and seq, receiving what it missed', async () => {
    shard.start();
    await ready();
    gateway.dispatch('C2C_MESSAGE_CREATE', { id: 'M1' });
    await until(() => dispatched.length === 1, 'the first event');
    const seen = shard.session.seq!;
    gateway.close(4009);
    // Sent while the client is away: replayed on resume.
    gateway.history.push({ s: seen + 1, t: 'C2C_MESSAGE_CREATE', d: { id: 'M2' }, id: 'x' });
    await until(() => gateway.connections.length === 2 && ops(1).includes(6), 'the resume');
    const resume = gateway.connections[1]!.received.find((p) => p.op === 6) as { d: Record<string, unknown> };
    expect(resume.d).toMatchObject({ session_id: 'sess-1', seq: seen, token: expect.stringMatching(/^QQBot tok-/) });
    await until(() => dispatched.some((p) => (p.d as { id: string }).id === 'M2'), 'the replayed event');
    await ready();
  });

  it('reconnects and resumes on op 7; identifies again on op 9', async () => {
    shard.start();
    await ready();
    gateway.op(7);
    await until(() => ops(1).includes(6), 'a resume after op 7');
    await ready();
    gateway.op(9, false);
    await until(() => ops(2)[0] === 2, 'an identify after op 9');
  });

  it('follows the close-code table: identify after 4006, resume after 1006, stop for good after 4914', async () => {
    shard.start();
    await ready();
    gateway.close(4006);
    await until(() => ops(1)[0] === 2, 'identify after 4006');
    await ready();
    gateway.current!.socket.terminate();
    await until(() => ops(2)[0] === 6, 'resume after an abnormal close');
    await ready();
    gateway.close(4914);
    await until(() => statuses.at(-1)?.state === 'failed', 'the failed status');
    expect(statuses.at(-1)!.detail).toBe('gateway closed 4914: the bot is offline (taken down; sandbox only) (scripted)');
    await new Promise((r) => setTimeout(r, 150));
    expect(gateway.connections).toHaveLength(3);
  });

  it('detects a half-open socket within two heartbeat intervals and resumes', async () => {
    shard.start();
    await ready();
    const dropped = new Promise<number>((resolve) => gateway.current!.socket.once('close', () => resolve(Date.now())));
    gateway.ackHeartbeats = false;
    const t0 = Date.now();
    // Detected (the client drops the socket) within two heartbeat intervals of the acks stopping.
    expect((await dropped) - t0).toBeLessThanOrEqual(2 * gateway.heartbeatInterval + 50);
    await until(() => gateway.connections.length === 2, 'a new connection');
    await until(() => ops(1).includes(6), 'the resume');
  });

  it('classifies close codes in one table', () => {
    expect(classifyClose(4009).action).toBe('resume');
    expect(classifyClose(4008).action).toBe('resume');
    for (const code of [4006, 4007, 4900, 4902, 4913]) expect(classifyClose(code).action).toBe('identify');
    for (const code of [4013, 4014, 4914, 4915]) expect(classifyClose(code).action).toBe('fatal');
  });
});
