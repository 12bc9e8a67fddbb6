import { afterEach, describe, expect, it } from 'vitest';
import { FrameMappingSchema, MqttSource, topicMatches, type SourceStatus, type Update } from '@switchboard/relay';
import { mqttBroker } from '../fixtures/broker.js';
import { until } from '../fixtures/servers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(brokerOptions: { password?: string } = {}, password?: string, backoff = { baseMs: 20, maxMs: 50 }) {
  const broker = await mqttBroker(brokerOptions);
  cleanups.push(broker.close);
  await broker.publish('zigbee2mqtt/freezer', { temperature: -18, state: 'ok' });
  await broker.publish('zigbee2mqtt/door', { state: 'closed' });
  await broker.publish('zigbee2mqtt/bridge/state', 'online');
  const source = new MqttSource({
    name: 'z2m',
    url: broker.url,
    subscriptions: [
      {
        filter: 'zigbee2mqtt/+',
        mapping: FrameMappingSchema.parse({ device: 'topicParts[1]', state: 'payload.state', severities: { warm: 'critical' }, normal: ['ok', 'closed'] }),
      },
    ],
    backoff,
    ...(password !== undefined ? { username: 'relay', password } : {}),
  });
  const updates: Update[] = [];
  const statuses: SourceStatus[] = [];
  source.updates$.subscribe((u) => updates.push(u));
  source.status$.subscribe((s) => statuses.push(s));
  cleanups.push(() => source.stop());
  return { broker, source, updates, statuses };
}

describe('MqttSource', () => {
  it('takes retained messages as the snapshot, then follows live publishes', async () => {
    const { broker, source, updates } = await setup();
    await source.start();
    await until(() => updates.length === 2, 'the retained snapshot');
    expect(updates.map((u) => `${u.key}=${u.state}`).sort()).toEqual(['door=closed', 'freezer=ok']);
    await broker.publish('zigbee2mqtt/freezer', { temperature: -2, state: 'warm' }, false);
    await until(() => updates.length === 3, 'the live message');
    expect(updates[2]).toMatchObject({ source: 'z2m', key: 'freezer', state: 'warm', severity: 'critical', resolved: false });
  });

  it('counts payloads it cannot map as malformed and keeps going', async () => {
    const { broker, source, updates } = await setup();
    await source.start();
    await until(() => updates.length === 2, 'the retained snapshot');
    await broker.publish('zigbee2mqtt/garbage', 'not json', false);
    await broker.publish('zigbee2mqtt/door', { state: 'open' }, false);
    await until(() => updates.length === 3, 'the next good message');
    // "not json" has no payload.state to read.
    expect(source.stats()).toMatchObject({ state: 'connected', malformed: 1 });
    expect(updates.some((u) => u.key === 'garbage')).toBe(false);
  });

  it('reconnects after the broker drops it and recovers what changed meanwhile from retained messages', async () => {
    // A backoff long enough that the publish below lands while the source is away.
    const { broker, source, updates, statuses } = await setup({}, undefined, { baseMs: 300, maxMs: 300 });
    await source.start();
    await until(() => updates.length === 2, 'the retained snapshot');
    broker.dropAll();
    // The status history, not a poll of the current state: a quick reconnect must not hide the drop.
    await until(() => statuses.some((s) => s.state === 'reconnecting'), 'the drop to be noticed');
    await broker.publish('zigbee2mqtt/door', { state: 'open' });
    await until(() => updates.some((u) => u.key === 'door' && u.state === 'open'), 'the change made while away');
    expect(source.stats().reconnects).toBe(1);
  });

  it('stops for good when the broker refuses the credentials', async () => {
    const { source, statuses } = await setup({ password: 'right' }, 'wrong');
    await source.start();
    await until(() => statuses.some((s) => s.state === 'failed'), 'the failed status');
    expect(statuses.at(-1)!.detail).toMatch(/^broker refused the connection/);
    expect(JSON.stringify(statuses)).not.toContain('wrong');
  });

  it('matches topic filters the MQTT way', () => {
    expect(topicMatches('a/+/c', 'a/b/c')).toBe(true);
    expect(topicMatches('a/+', 'a/b/c')).toBe(false);
    expect(topicMatches('a/#', 'a/b/c')).toBe(true);
    expect(topicMatches('a/b', 'a/b')).toBe(true);
  });
});
