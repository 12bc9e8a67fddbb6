import { connect, type Socket } from 'node:net';
import { sign } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Logger } from '@switchboard/core';
import { WebhookReceiver, webhookKeys, type GatewayPayload, type WebhookReceiverOptions } from '@switchboard/adapter-qq';

const secret = 'DG5g3B4j9X2KOErG';
const receivers: WebhookReceiver[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const r of receivers.splice(0)) await r.stop();
});

async function start(options: Partial<WebhookReceiverOptions> = {}) {
  const received: GatewayPayload[] = [];
  const warnings: string[] = [];
  const logger = { child: () => logger, warn: (_: unknown, msg: string) => void warnings.push(msg), error: () => undefined, info: () => undefined, debug: () => undefined } as unknown as Logger;
  const receiver = new WebhookReceiver({ appId: '11111111', secret, listen: { host: '127.0.0.1', port: 0 }, onDispatch: (p) => void received.push(p), logger, ...options });
  await receiver.start();
  receivers.push(receiver);
  return { receiver, received, warnings, url: `http://127.0.0.1:${receiver.port}/qq` };
}

const now = () => String(Math.floor(Date.now() / 1000));
const post = (url: string, body: string, headers: Record<string, string> = {}) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
const validation = (eventTs: unknown, plainToken: unknown) => JSON.stringify({ op: 13, d: { plain_token: plainToken, event_ts: eventTs } });

describe('webhook: callback validation is not a signing oracle', () => {
  it('refuses to sign a forged dispatch, the attack that made eve root', async () => {
    const { url, received, warnings } = await start();
    const ts = now();
    const forged = JSON.stringify({ op: 0, id: 'x', t: 'C2C_MESSAGE_CREATE', d: { id: 'EVIL', content: 'adduser eve root qq:ATTACKER', author: { user_openid: 'ROOT' } } });
    // Asked to sign timestamp + body, the old receiver returned a signature the dispatch path accepted.
    const res = await post(url, validation(ts, forged));
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).not.toMatch(/signature/);
    // Whatever the attacker puts in the signature header, the forged dispatch is refused.
    const guess = sign(null, Buffer.from(ts + forged), webhookKeys('not-the-secret').privateKey).toString('hex');
    expect((await post(url, forged, { 'x-signature-timestamp': ts, 'x-signature-ed25519': guess })).status).toBe(403);
    expect(received).toEqual([]);
    expect(warnings.filter((w) => /op 13/.test(w))).toHaveLength(1);
  });

  it('signs only event_ts digits and a short letters-and-digits plain_token, and warns once', async () => {
    const { url, warnings } = await start();
    for (const [ts, token] of [
      ['1725442341', 'has space'],
      ['1725442341', '{"op":0}'],
      ['1725442341', 'x'.repeat(65)],
      ['17254x', 'Arq0D5A61EgUu4OxUvOp'],
      ['', 'Arq0D5A61EgUu4OxUvOp'],
      [1725442341.5, 'Arq0D5A61EgUu4OxUvOp'],
      ['1725442341', 42],
    ] as const) {
      expect((await post(url, validation(ts, token))).status, `${String(ts)} / ${String(token)}`).toBe(400);
    }
    expect(warnings.filter((w) => /op 13/.test(w))).toHaveLength(1);
    // The documented shape still works (numbers for event_ts too).
    expect((await post(url, validation(1725442341, 'Arq0D5A61EgUu4OxUvOp'))).status).toBe(200);
  });

  it('never lets an op 13 answer pass as the signature of an event, however its text is split (property)', async () => {
    const { url, received } = await start();
    // What an attacker may ask to have signed: tokens of the documented shape, any text, or a whole forged event.
    const forgedEvent = fc
      .record({ id: fc.string({ minLength: 1 }), content: fc.string(), author: fc.record({ user_openid: fc.string({ minLength: 1 }) }) })
      .map((d) => JSON.stringify({ op: 0, t: 'C2C_MESSAGE_CREATE', d }));
    const token = fc.oneof(fc.stringMatching(/^[A-Za-z0-9]{1,64}$/), fc.string(), forgedEvent);
    const eventTs = fc.integer({ min: -60, max: 60 }).map((d) => String(Math.floor(Date.now() / 1000) + d));
    await fc.assert(
      fc.asyncProperty(eventTs, token, async (ts, plain) => {
        const res = await post(url, validation(ts, plain));
        if (res.status !== 200) return received.length === 0;
        const answer = (await res.json()) as { signature: string };
        const signed = ts + plain;
        // Every split whose head could be a timestamp header.
        for (let cut = 1; cut < signed.length && /^\d+$/.test(signed.slice(0, cut)); cut++) {
          const res = await post(url, signed.slice(cut), { 'x-signature-timestamp': signed.slice(0, cut), 'x-signature-ed25519': answer.signature });
          const body = await res.text();
          if (res.status === 200 && /"op":12/.test(body)) return false;
        }
        return received.length === 0;
      }),
      { numRuns: 60 },
    );
  });
});

describe('webhook: timestamps, sizes and slow clients', () => {
  const dispatch = JSON.stringify({ op: 0, id: 'C2C_MESSAGE_CREATE:1', t: 'C2C_MESSAGE_CREATE', d: { id: 'M1', content: 'hi', author: { user_openid: 'U1' } } });
  const signed = (body: string, ts: string) => ({
    'x-signature-timestamp': ts,
    'x-signature-ed25519': sign(null, Buffer.from(ts + body), webhookKeys(secret).privateKey).toString('hex'),
  });

  it('refuses timestamps outside the skew (2 minutes by default), in the past and in the future', async () => {
    const { url, received } = await start();
    const at = (delta: number) => String(Math.floor(Date.now() / 1000) + delta);
    expect((await post(url, dispatch, signed(dispatch, at(-150)))).status).toBe(403);
    expect((await post(url, dispatch, signed(dispatch, at(150)))).status).toBe(403);
    expect((await post(url, dispatch, signed(dispatch, at(-60)))).status).toBe(200);
    expect(received).toHaveLength(1);
  });

  it('answers 413 for a body over the cap without reading it', async () => {
    const { url } = await start({ maxBodyBytes: 4096 });
    const big = JSON.stringify({ op: 0, pad: 'x'.repeat(10_000) });
    expect((await post(url, big, signed(big, now()))).status).toBe(413);
  });

  it('asks the platform to send an event again when it could not be handled', async () => {
    const { url } = await start({ onDispatch: () => Promise.reject(new Error('disk full')) });
    const res = await post(url, dispatch, signed(dispatch, now()));
    expect(await res.json()).toEqual({ op: 12, d: 1 });
  });

  it('cuts off a client that drips its headers, and one that drips its body, at the timeouts', async () => {
    const { receiver } = await start({ http: { headersTimeoutMs: 300, requestTimeoutMs: 600 } });
    const drip = (head: string) =>
      new Promise<number>((resolve) => {
        const started = Date.now();
        const socket = connect(receiver.port, '127.0.0.1', () => socket.write(head));
        sockets.push(socket);
        const timer = setInterval(() => socket.writable && socket.write('a'), 100);
        socket.on('close', () => {
          clearInterval(timer);
          resolve(Date.now() - started);
        });
        socket.on('error', () => undefined);
      });
    const [headers, body] = await Promise.all([
      drip('POST /qq HTTP/1.1\r\nHost: x\r\nX-Slow: '),
      drip('POST /qq HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n'),
    ]);
    expect(headers).toBeLessThan(2000);
    expect(body).toBeLessThan(2500);
  });

  it('caps connections: past the cap, new connections are closed at once', async () => {
    const { receiver } = await start({ http: { maxConnections: 4 } });
    const closed: number[] = [];
    for (let i = 0; i < 10; i++) {
      const socket = connect(receiver.port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.on('close', () => closed.push(i));
      sockets.push(socket);
      await new Promise((r) => socket.once('connect', r));
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(closed.length).toBeGreaterThanOrEqual(6);
  });
});
