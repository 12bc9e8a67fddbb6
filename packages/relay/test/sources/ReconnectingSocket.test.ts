import { afterEach, describe, expect, it } from 'vitest';
import { ReconnectingSocket } from '@switchboard/relay';
import { until, wsServer } from '../fixtures/servers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('ReconnectingSocket', () => {
  it('backs off exponentially while a server keeps dropping it, and starts afresh once healthy', async () => {
    const fake = await wsServer();
    cleanups.push(fake.close);
    const connectedAt: number[] = [];
    let healthyAfter = Infinity;
    fake.server.on('connection', (socket) => {
      connectedAt.push(Date.now());
      if (connectedAt.length >= healthyAfter) socket.send('hello');
      else socket.close();
    });
    // The handlers run only after construction, so they may refer to the socket itself.
    const socket: ReconnectingSocket = new ReconnectingSocket(
      { url: fake.url, backoff: { baseMs: 80, maxMs: 4000 }, random: () => 0.999 },
      {
        onOpen: () => undefined,
        onMessage: () => socket.markHealthy(),
        onClose: () => undefined,
      },
    );
    cleanups.push(() => socket.stop());
    socket.start();
    await until(() => connectedAt.length === 5, 'five attempts', 8000);
    const gaps = connectedAt.slice(1).map((t, i) => t - connectedAt[i]!);
    // Full jitter with random≈1: roughly 80, 160, 320, 640 ms (compared two steps apart, so
    // scheduler noise on a busy machine cannot invert the growth).
    expect(gaps[2]!).toBeGreaterThan(gaps[0]! * 2);
    expect(gaps[3]!).toBeGreaterThan(gaps[1]! * 2);
    expect(gaps[3]!).toBeGreaterThanOrEqual(600);

    // Let the next connection succeed (the owner marks it healthy), then drop it: the wait is short again.
    healthyAfter = connectedAt.length + 1;
    await until(() => connectedAt.length === healthyAfter, 'a healthy connection', 5000);
    await new Promise((r) => setTimeout(r, 30));
    const before = Date.now();
    for (const client of fake.server.clients) client.terminate();
    await until(() => connectedAt.length === healthyAfter + 1, 'the reconnect', 5000);
    expect(connectedAt.at(-1)! - before).toBeLessThan(300);
  });

  it('refuses a URL that is not ws:// or wss://', () => {
    expect(() => new ReconnectingSocket({ url: 'http://x' }, { onOpen() {}, onMessage() {}, onClose() {} })).toThrow(
      '"http://x" is not a ws:// or wss:// URL',
    );
  });
});
