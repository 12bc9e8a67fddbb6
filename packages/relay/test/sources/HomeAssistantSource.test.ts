import { afterEach, describe, expect, it } from 'vitest';
import { HomeAssistantSource, type SourceStatus, type Update } from '@switchboard/relay';
import { FakeHomeAssistant } from '@switchboard/relay/testing';
import { until } from '../fixtures/servers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: { token?: string; pingMs?: number; autoPong?: boolean } = {}) {
  const ha = new FakeHomeAssistant('good-token');
  await ha.start(options.autoPong === undefined ? {} : { autoPong: options.autoPong });
  ha.setState('sensor.server_room', '24.5', { friendly_name: 'Server room', unit_of_measurement: '°C' });
  ha.setState('binary_sensor.smoke', 'off', { friendly_name: 'Smoke' });
  ha.setState('light.porch', 'on');
  const source = new HomeAssistantSource({
    name: 'home',
    url: ha.url,
    token: options.token ?? 'good-token',
    entities: ['sensor.*', 'binary_sensor.*'],
    severities: { 'binary_sensor.smoke': { on: 'critical' } },
    socket: { pingIntervalMs: options.pingMs ?? 60_000, backoff: { baseMs: 20, maxMs: 50 } },
  });
  const updates: Update[] = [];
  const statuses: SourceStatus[] = [];
  source.updates$.subscribe((u) => updates.push(u));
  source.status$.subscribe((s) => statuses.push(s));
  cleanups.push(() => ha.close(), () => source.stop());
  return { ha, source, updates, statuses };
}

describe('HomeAssistantSource', () => {
  it('authenticates, subscribes before taking the snapshot, and follows state changes', async () => {
    const { ha, source, updates } = await setup();
    await source.start();
    await until(() => updates.length === 2, 'the snapshot');
    expect(ha.commands[0]!.map((c) => c.type)).toEqual(['auth', 'subscribe_events', 'get_states']);
    expect(ha.commands[0]!.slice(1).map((c) => c.id)).toEqual([1, 2]);
    expect(ha.commands[0]![1]).toMatchObject({ event_type: 'state_changed' });
    expect(updates.map((u) => u.key).sort()).toEqual(['binary_sensor.smoke', 'sensor.server_room']);
    expect(updates.find((u) => u.key === 'sensor.server_room')).toMatchObject({ topic: 'sensor', state: '24.5', text: 'Server room is 24.5 °C', severity: 'info' });

    ha.setState('binary_sensor.smoke', 'on', { friendly_name: 'Smoke' });
    ha.setState('light.porch', 'off');
    await until(() => updates.length === 3, 'the smoke event');
    expect(updates[2]).toMatchObject({ key: 'binary_sensor.smoke', state: 'on', severity: 'critical', resolved: false });
    expect(ha.idErrors).toBe(0);
  });

  it('resynchronises after a drop: what changed while away arrives from get_states; ids restart at 1', async () => {
    const { ha, source, updates } = await setup();
    await source.start();
    await until(() => updates.length === 2, 'the snapshot');
    ha.dropAll();
    ha.setState('binary_sensor.smoke', 'on', { friendly_name: 'Smoke' });
    await until(() => updates.some((u) => u.key === 'binary_sensor.smoke' && u.state === 'on'), 'the change made while disconnected');
    expect(ha.connections).toBe(2);
    expect(ha.commands[1]!.slice(1).map((c) => c.id)).toEqual([1, 2]);
    expect(source.stats().reconnects).toBe(1);
    expect(ha.idErrors).toBe(0);
  });

  it('pings with increasing ids and reconnects when pongs stop', async () => {
    const { ha, source, updates } = await setup({ pingMs: 40, autoPong: false });
    await source.start();
    await until(() => updates.length === 2, 'the snapshot');
    await until(() => (ha.commands[0] ?? []).some((c) => c.type === 'ping'), 'an app-level ping');
    const ids = ha.commands[0]!.slice(1).map((c) => c.id as number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    ha.answerPings = false;
    await until(() => ha.connections === 2, 'a new connection after silence', 2000);
    expect(ha.idErrors).toBe(0);
  });

  it('skips malformed messages and keeps going', async () => {
    const { ha, source, updates } = await setup();
    await source.start();
    await until(() => updates.length === 2, 'the snapshot');
    ha.sendRaw('{not json');
    ha.sendRaw(JSON.stringify(42));
    ha.setState('sensor.server_room', '30.1', { friendly_name: 'Server room' });
    await until(() => updates.length === 3, 'the next change');
    expect(source.stats()).toMatchObject({ state: 'connected', malformed: 2 });
  });

  it('stops for good on auth_invalid and says so', async () => {
    const { ha, source, statuses } = await setup({ token: 'wrong' });
    await source.start();
    await until(() => statuses.some((s) => s.state === 'failed'), 'the failed status');
    expect(statuses.at(-1)).toMatchObject({ state: 'failed', detail: 'authentication refused: Invalid access token or password' });
    await new Promise((r) => setTimeout(r, 150));
    expect(ha.connections).toBe(1);
    expect(JSON.stringify(statuses)).not.toContain('wrong');
  });
});
