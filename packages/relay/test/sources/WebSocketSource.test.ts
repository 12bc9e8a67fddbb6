import { afterEach, describe, expect, it } from 'vitest';
import { FrameMappingSchema, WebSocketSource, type SourceStatus, type Update } from '@switchboard/relay';
import { messages, nextConnection, until, wsServer } from '../fixtures/servers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: { autoPong?: boolean; pingMs?: number } = {}) {
  const fake = await wsServer(options.autoPong === undefined ? {} : { autoPong: options.autoPong });
  const source = new WebSocketSource({
    name: 'lab',
    url: fake.url,
    onOpen: [{ op: 'subscribe', topics: ['*'] }],
    mapping: FrameMappingSchema.parse({
      when: { type: 'state' },
      device: 'id',
      state: 'state',
      severity: 'level',
      text: 'msg',
      normal: ['ok'],
    }),
    socket: { pingIntervalMs: options.pingMs ?? 60_000, backoff: { baseMs: 20, maxMs: 50 } },
  });
  const updates: Update[] = [];
  const statuses: SourceStatus[] = [];
  source.updates$.subscribe((u) => updates.push(u));
  source.status$.subscribe((s) => statuses.push(s));
  cleanups.push(fake.close, () => source.stop());
  return { fake, source, updates, statuses };
}

describe('WebSocketSource', () => {
  it('sends its subscribe frames on open and maps frames, including arrays, to updates', async () => {
    const { fake, source, updates } = await setup();
    const connected = nextConnection(fake.server);
    await source.start();
    const socket = await connected;
    const received = messages(socket);
    await until(() => received.length === 1, 'the subscribe frame');
    expect(received[0]).toEqual({ op: 'subscribe', topics: ['*'] });
    socket.send(JSON.stringify({ type: 'hello' }));
    socket.send(JSON.stringify([
      { type: 'state', id: 'oven', state: 'hot', level: 'crit', msg: 'Oven at 260 °C' },
      { type: 'state', id: 'door', state: 'ok', level: 'info' },
    ]));
    await until(() => updates.length === 2, 'two updates');
    expect(updates[0]).toMatchObject({ source: 'lab', key: 'oven', state: 'hot', severity: 'critical', text: 'Oven at 260 °C', resolved: false });
    expect(updates[1]).toMatchObject({ key: 'door', state: 'ok', resolved: true, text: 'door is ok' });
    expect(source.stats()).toMatchObject({ frames: 2, malformed: 0 });
  });

  it('takes a burst of frames turn by turn, letting timers and I/O run in between', async () => {
    const { fake, source, updates } = await setup();
    const connected = nextConnection(fake.server);
    await source.start();
    const socket = await connected;
    let seenWhenLoopTurned = -1;
    const sub = source.updates$.subscribe(() => {
      if (updates.length === 1) setImmediate(() => (seenWhenLoopTurned = updates.length));
    });
    const burst = 300;
    for (let i = 0; i < burst; i++) socket.send(JSON.stringify({ type: 'state', id: `d${i}`, state: 'on', level: 'info' }));
    await until(() => updates.length === burst, 'the whole burst');
    sub.unsubscribe();
    // Handled in one synchronous go, the whole burst would be in before the loop turned once.
    expect(seenWhenLoopTurned).toBeGreaterThan(0);
    expect(seenWhenLoopTurned).toBeLessThan(burst / 2);
  });

  it('counts and skips malformed frames without dropping the connection', async () => {
    const { fake, source, updates } = await setup();
    const connected = nextConnection(fake.server);
    await source.start();
    const socket = await connected;
    socket.send('this is not json');
    socket.send(JSON.stringify({ type: 'state', state: 'ok' }));
    socket.send(JSON.stringify({ type: 'state', id: 'fan', state: 'on', level: 'info' }));
    await until(() => updates.length === 1, 'the good frame');
    expect(source.stats()).toMatchObject({ state: 'connected', frames: 3, malformed: 2, reconnects: 0 });
  });

  it('reconnects with backoff after the server drops it, and the resupplied snapshot arrives again', async () => {
    const { fake, source, updates, statuses } = await setup();
    const first = nextConnection(fake.server);
    await source.start();
    const snapshot = JSON.stringify([{ type: 'state', id: 'oven', state: 'ok', level: 'info' }]);
    (await first).send(snapshot);
    await until(() => updates.length === 1, 'the first snapshot');
    const second = nextConnection(fake.server);
    for (const client of fake.server.clients) client.terminate();
    (await second).send(snapshot);
    await until(() => updates.length === 2, 'the snapshot after reconnecting');
    expect(source.stats().reconnects).toBe(1);
    expect(statuses.map((s) => s.state)).toEqual(['idle', 'connecting', 'connected', 'reconnecting', 'connected']);
  });

  it('terminates a connection that goes silent (no pong) and opens a new one', async () => {
    const { fake, source } = await setup({ autoPong: false, pingMs: 50 });
    const first = nextConnection(fake.server);
    await source.start();
    await first;
    const second = nextConnection(fake.server);
    const t0 = Date.now();
    await second;
    // Detected within two ping intervals (plus one tick of slack), not at a TCP timeout.
    expect(Date.now() - t0).toBeLessThan(400);
    await until(() => source.stats().reconnects === 1, 'the client to reopen');
  });
});
