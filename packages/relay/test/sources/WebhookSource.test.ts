import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameMappingSchema, HttpIngress, WebhookSource, type Update, type WebhookFormat } from '@switchboard/relay';

const token = 'a-very-long-webhook-token-123';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function hook(format: WebhookFormat) {
  const ingress = new HttpIngress('127.0.0.1:0');
  const source = new WebhookSource({ name: format, ingress, path: `/hooks/${format}`, token, format, mapping: FrameMappingSchema.parse({}) });
  await source.start();
  await ingress.start();
  const updates: Update[] = [];
  source.updates$.subscribe((u) => updates.push(u));
  cleanups.push(() => ingress.stop(), () => source.stop());
  const base = `http://127.0.0.1:${ingress.port}/hooks/${format}`;
  const post = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${token}` }) =>
    fetch(base, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { source, updates, post, base, ingress };
}

/** Send only a request's head (a huge Content-Length, no body) and read what comes back. */
function headOnly(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1', () => {
      const lines = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Length: 1000000', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    let text = '';
    socket.on('data', (d) => {
      text += d.toString();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (status) {
        resolve({ status: Number(status[1]), ms: performance.now() - started });
        socket.destroy();
      }
    });
    socket.on('error', reject);
  });
}

describe('WebhookSource: an attacker at the ingress', () => {
  it('gets a 401 from the headers alone, without sending a body', async () => {
    const { ingress } = await hook('generic');
    const answer = await headOnly(ingress.port, '/hooks/generic', { 'content-type': 'application/json', authorization: 'Bearer wrong-token-wrong-token' });
    expect(answer.status).toBe(401);
    expect(answer.ms).toBeLessThan(1000);
  });

  it('cannot pass the token in the query of a POST unless the feed allows it', async () => {
    const { base, updates } = await hook('generic');
    const res = await fetch(`${base}?token=${token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ device: 'x', state: 'on' }) });
    expect(res.status).toBe(401);
    expect(updates).toEqual([]);
    const ingress = new HttpIngress('127.0.0.1:0');
    const lenient = new WebhookSource({ name: 'q', ingress, path: '/q', token, queryToken: true, format: 'generic', mapping: FrameMappingSchema.parse({}) });
    await lenient.start();
    await ingress.start();
    cleanups.push(() => ingress.stop(), () => lenient.stop());
    const ok = await fetch(`http://127.0.0.1:${ingress.port}/q?token=${token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ device: 'x', state: 'on' }) });
    expect(ok.status).toBe(202);
  });

  it('gets 415 for a body that is not JSON by its Content-Type, and 413 past the body cap', async () => {
    const { post } = await hook('generic');
    const plain = await post('device=x', { authorization: `Bearer ${token}`, 'content-type': 'text/plain' });
    expect(plain.status).toBe(415);
    expect(await plain.json()).toEqual({ error: 'Content-Type must be application/json (got "text/plain")' });
    expect((await post({ device: 'x', state: 'on' }, { authorization: `Bearer ${token}`, 'content-type': 'application/cloudevents+json' })).status).toBe(202);
    expect((await post(JSON.stringify({ pad: 'x'.repeat(300 * 1024) }))).status).toBe(413);
  });
});

describe('WebhookSource', () => {
  it('refuses requests without the right token before reading them', async () => {
    const { post, updates, source } = await hook('generic');
    expect((await post({ device: 'x', state: 'on' }, {})).status).toBe(401);
    expect((await post({ device: 'x', state: 'on' }, { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await post({ device: 'x', state: 'on' }, { authorization: `Bearer ${token}x` })).status).toBe(401);
    expect(updates).toEqual([]);
    expect(source.stats().frames).toBe(0);
  });

  it('reads generic JSON bodies, one update or a list, and names what is wrong with bad ones', async () => {
    const { post, updates, source } = await hook('generic');
    const one = await post({ device: 'pump', state: 'failed', severity: 'error' });
    expect(one.status).toBe(202);
    expect(await one.json()).toEqual({ accepted: 1 });
    expect((await post([{ device: 'a', state: 'ok' }, { device: 'b', state: 'ok' }])).status).toBe(202);
    expect(updates.map((u) => u.key)).toEqual(['pump', 'a', 'b']);
    const bad = await post('{"device":');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'body is not valid JSON' });
    const missing = await post({ state: 'on' });
    expect(await missing.json()).toEqual({ error: 'no device id at "device"' });
    expect(source.stats()).toMatchObject({ malformed: 2 });
  });

  it('reads Alertmanager v4 payloads: one update per alert, resolves included', async () => {
    const { post, updates } = await hook('alertmanager');
    const payload = {
      version: '4',
      groupKey: '{}:{alertname="DiskFull"}',
      status: 'firing',
      receiver: 'switchboard',
      groupLabels: { alertname: 'DiskFull' },
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://am:9093',
      alerts: [
        { status: 'firing', labels: { alertname: 'DiskFull', instance: 'nas:9100', severity: 'critical' }, annotations: { summary: 'Disk 97% full on nas' }, startsAt: '2026-11-23T10:00:00Z', endsAt: '0001-01-01T00:00:00Z', fingerprint: 'abc123' },
        { status: 'resolved', labels: { alertname: 'HighLoad', instance: 'web:9100' }, annotations: {}, startsAt: '2026-11-23T09:00:00Z', endsAt: '2026-11-23T10:05:00Z', fingerprint: 'def456' },
      ],
    };
    expect((await post(payload)).status).toBe(202);
    expect(updates[0]).toMatchObject({ key: 'DiskFull@nas:9100', topic: 'DiskFull', severity: 'critical', state: 'firing', resolved: false, fingerprint: 'abc123', text: 'Disk 97% full on nas', at: Date.parse('2026-11-23T10:00:00Z') });
    expect(updates[1]).toMatchObject({ key: 'HighLoad@web:9100', severity: 'warning', state: 'resolved', resolved: true, text: 'HighLoad on web:9100' });
    const wrong = await post({ version: '3', alerts: [] });
    expect(await wrong.json()).toEqual({ error: 'unsupported Alertmanager payload version "3" (expected "4")' });
  });

  it('reads EasyCon pushes, whose content arrives URL-encoded even in JSON, by POST or GET', async () => {
    const { post, updates, base } = await hook('easycon');
    // What EasyCon's default "自定义Webhook" item sends: {"msg":"{{content}}"} with HttpUtility.UrlEncode.
    expect((await post({ msg: '%5Bcrit%5D+%E5%AD%B5%E8%9B%8B%E5%A4%B1%E8%B4%A5%EF%BC%9A+box+3' })).status).toBe(202);
    expect(updates[0]).toMatchObject({ source: 'easycon', key: 'easycon', severity: 'critical', text: '孵蛋失败： box 3', event: true, topic: 'script' });
    const get = await fetch(`${base}?token=${token}&content=Script+finished&title=Switch+2`);
    expect(get.status).toBe(202);
    expect(updates[1]).toMatchObject({ key: 'Switch 2', severity: 'info', text: 'Script finished' });
    expect((await post({ other: 1 })).status).toBe(400);
  });

  it('answers 404 for unknown paths and 405 for GET on JSON hooks', async () => {
    const { ingress, base } = await hook('generic');
    expect((await fetch(`http://127.0.0.1:${ingress.port}/elsewhere`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(base, { headers: { authorization: `Bearer ${token}` } })).status).toBe(405);
  });
});
