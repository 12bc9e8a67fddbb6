// Feed input is typed: values of the wrong type are coerced or refused with a counted reason, annotations are
// rendered readably, texts are capped, and a WebSocket feed says when it is ready.
import { afterEach, describe, expect, it } from 'vitest';
import { Bridge, MemoryStore } from '@switchboard/core';
import { MemoryAdapter } from '@switchboard/core/testing';
import { FrameMappingSchema, Relay, RelaySections, WebSocketSource, decodeAlertmanager, mapFrame, type SourceStatus, type Update } from '@switchboard/relay';
import type { WebSocket } from 'ws';
import { until, wsServer } from '../fixtures/servers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('frame mapping types', () => {
  const mapping = FrameMappingSchema.parse({ device: 'device', state: 'status', text: 'summary' });

  it('refuses a boolean state, and a device id that is not text or a whole number, naming the path and the type', () => {
    const { updates, rejected } = mapFrame([{ device: 42, status: true }, { device: { id: 1 }, status: 'ok' }, { device: 'pump', status: ['on'] }], mapping, 'lab');
    expect(updates).toEqual([]);
    expect(rejected.map((r) => r.reason)).toEqual([
      'state at "status" is a boolean; set mapping.booleans (e.g. { true: on, false: off }) to read it',
      'device id at "device" is a object, not text or a whole number',
      'state at "status" is a list, not text or a number',
    ]);
  });

  it('reads booleans through mapping.booleans, whole-number ids as text, and numbers as states', () => {
    const withBooleans = FrameMappingSchema.parse({ device: 'device', state: 'status', booleans: { true: 'on', false: 'off' }, normal: ['off'] });
    const { updates, rejected } = mapFrame([{ device: 42, status: true }, { device: 43, status: false }, { device: 'dial', status: 3.5 }], withBooleans, 'lab');
    expect(rejected).toEqual([]);
    expect(updates.map((u) => [u.key, u.state, u.resolved])).toEqual([['42', 'on', false], ['43', 'off', true], ['dial', '3.5', false]]);
    expect(mapFrame({ device: 1.5, status: 'x' }, withBooleans, 'lab').rejected[0]!.reason).toBe('device id at "device" is a number, not text or a whole number');
  });

  it('renders a text that is an object or a list readably, never [object Object]', () => {
    const { updates } = mapFrame({ device: 'pump', status: 'failed', summary: { pressure: 3, valves: ['a', 'b'], note: { by: 'plc' } } }, mapping, 'lab');
    expect(updates[0]!.text).toBe('pressure: 3, valves: (a, b), note: (by: plc)');
  });

  it('renders Alertmanager annotations and labels that are not strings readably', () => {
    const decoded = decodeAlertmanager({ version: '4', alerts: [{ status: 'firing', labels: { alertname: 'DiskFull', instance: 'nas', team: { name: 'storage' } }, annotations: { summary: { disk: 'sda', used: '97%' } } }] }, 'am');
    expect('updates' in decoded && decoded.updates[0]).toMatchObject({ text: 'disk: sda, used: 97%', labels: { alertname: 'DiskFull', instance: 'nas', team: 'name: storage' } });
  });
});

describe('notification text cap', () => {
  it('cuts a 256 KiB feed text to relay.maxText with an ellipsis: one message per person, not a hundred', async () => {
    const adapter = new MemoryAdapter();
    const relay = new Relay({
      feeds: [],
      routes: RelaySections.routes.parse([{ match: {}, notify: { users: ['uma'] } }]),
      relay: RelaySections.relay.parse({ startJitter: 0, maxText: 300 }),
    });
    const bridge = new Bridge({ store: new MemoryStore(), adapters: [adapter], plugins: [relay], users: [{ name: 'uma', tier: 'user', identities: [{ platform: 'memory', id: 'uma' }] }] });
    await bridge.start();
    cleanups.push(() => bridge.stop());
    const update: Update = { source: 'lab', key: 'log', topic: 'status', severity: 'warning', state: 'noisy', text: 'x'.repeat(256 * 1024), at: Date.now(), resolved: false };
    await relay.handle(update);
    await until(() => adapter.textsTo('uma').length > 0, 'the notification');
    await new Promise((r) => setTimeout(r, 50));
    const texts = adapter.textsTo('uma');
    expect(texts).toHaveLength(1);
    expect([...texts[0]!].length).toBeLessThanOrEqual(300);
    expect(texts[0]!.endsWith('…')).toBe(true);
    expect(RelaySections.relay.parse({}).maxText).toBe(1000);
  });
});

describe('a WebSocket feed that declares when it is ready', () => {
  async function feed(answer: (socket: WebSocket) => void, options: { readyTimeoutMs?: number } = {}) {
    const server = await wsServer();
    server.server.on('connection', answer);
    const source = new WebSocketSource({
      name: 'hub',
      url: server.url,
      onOpen: [{ type: 'auth', token: 't' }],
      ready: { type: 'auth_ok' },
      refused: { type: 'auth_invalid' },
      ignore: [{ type: 'heartbeat' }],
      ...(options.readyTimeoutMs ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
      mapping: FrameMappingSchema.parse({ when: { type: 'state' }, device: 'id', state: 'state' }),
      socket: { pingIntervalMs: 60_000, backoff: { baseMs: 10, maxMs: 20 } },
    });
    const statuses: SourceStatus[] = [];
    const updates: Update[] = [];
    source.status$.subscribe((s) => statuses.push(s));
    source.updates$.subscribe((u) => updates.push(u));
    cleanups.push(server.close, () => source.stop());
    await source.start();
    return { source, statuses, updates };
  }

  it('is connected only after the ready frame, and skips control frames without counting them', async () => {
    const { source, statuses, updates } = await feed((socket) => {
      socket.send(JSON.stringify({ type: 'heartbeat' }));
      socket.send(JSON.stringify({ type: 'auth_ok' }));
      socket.send(JSON.stringify({ type: 'heartbeat' }));
      socket.send(JSON.stringify({ type: 'state', id: 'pump', state: 'on' }));
    });
    await until(() => updates.length === 1, 'the update');
    expect(statuses.map((s) => s.state).filter((s) => s !== 'idle')).toEqual(['connecting', 'connected']);
    expect(source.stats().malformed).toBe(0);
  });

  it('counts a feed that keeps refusing auth as down: admins are told', async () => {
    const adapter = new MemoryAdapter();
    const server = await wsServer();
    server.server.on('connection', (socket) => socket.send(JSON.stringify({ type: 'auth_invalid', message: 'bad token' })));
    const relay = new Relay({
      feeds: RelaySections.feeds.parse([
        { name: 'hub', type: 'websocket', url: server.url, ready: { type: 'auth_ok' }, refused: { type: 'auth_invalid' }, backoff: { base: '10ms', max: '20ms' } },
      ]),
      routes: [],
      relay: RelaySections.relay.parse({ startJitter: 0, sourceDownAfter: '300ms' }),
    });
    const bridge = new Bridge({ store: new MemoryStore(), adapters: [adapter], plugins: [relay], users: [{ name: 'ada', tier: 'admin', identities: [{ platform: 'memory', id: 'ada' }] }] });
    await bridge.start();
    cleanups.push(server.close, () => bridge.stop());
    await until(() => adapter.textsTo('ada').some((t) => t.includes('feed hub is down')), 'the feed-down page', 5000);
    expect(adapter.textsTo('ada')[0]).toMatch(/feed hub is down \(refused: .*auth_invalid/);
  });

  it('drops a connection that never says it is ready, after readyTimeout', async () => {
    const { statuses } = await feed(() => undefined, { readyTimeoutMs: 100 });
    await until(() => statuses.some((s) => s.state === 'reconnecting'), 'a reconnect');
    expect(statuses.find((s) => s.state === 'reconnecting')!.detail).toBe('not ready 100 ms after opening');
    expect(statuses.some((s) => s.state === 'connected')).toBe(false);
  });
});
