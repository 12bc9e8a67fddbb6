import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { PuppetMock, mock } from 'wechaty-puppet-mock';
import { ScanStatus } from 'wechaty';
import type { AdapterStatus } from '@switchboard/core';
import { WechatAdapter, WechatConfigSchema, parseQuote } from '@switchboard/adapter-wechat';
import { until } from './fixtures/mockWechat.js';

const adapters: WechatAdapter[] = [];
afterEach(async () => {
  for (const a of adapters.splice(0)) await a.stop();
});

describe('WeChat login', () => {
  it('draws the QR code, logs its URL, and reports waiting → logged in → logged out on status$', async () => {
    const mocker = new mock.Mocker();
    const qr = new PassThrough();
    let drawn = '';
    qr.on('data', (d: Buffer) => (drawn += d.toString()));
    const adapter = new WechatAdapter({
      config: WechatConfigSchema.parse({ restartBackoff: { base: '1h', max: '1h' } }),
      sessionDir: await mkdtemp(join(tmpdir(), 'sb-wechat-login-')),
      puppet: new PuppetMock({ mocker }),
      qrOutput: qr,
    });
    adapters.push(adapter);
    const statuses: AdapterStatus[] = [];
    adapter.status$.subscribe((s) => statuses.push(s));
    await adapter.start();
    mocker.scan('https://login.weixin.qq.com/l/abc123', ScanStatus.Waiting);
    await until(() => drawn.includes('Scan with WeChat'), 'the QR code');
    expect(drawn).toContain(`https://wechaty.js.org/qrcode/${encodeURIComponent('https://login.weixin.qq.com/l/abc123')}`);
    // A terminal QR code is drawn with block characters.
    expect(drawn).toMatch(/[█▀▄]/);
    const bot = mocker.createContact({ name: 'Bot' });
    mocker.login(bot);
    await until(() => statuses.some((s) => s.state === 'ready'), 'the login');
    await adapter.wechaty!.logout();
    await until(() => statuses.some((s) => s.state === 'reconnecting'), 'the logout');
    expect(statuses.map((s) => `${s.state}${s.detail ? `: ${s.detail}` : ''}`)).toEqual([
      'stopped',
      'starting: starting the puppet',
      'starting: waiting for a QR scan',
      'ready: logged in as Bot',
      expect.stringMatching(/^reconnecting: logged out/),
    ]);
  });

  it('restarts the puppet after a logout, with backoff: a new Wechaty starts', async () => {
    const mocker = new mock.Mocker();
    const adapter = new WechatAdapter({
      config: WechatConfigSchema.parse({ restartBackoff: { base: '20ms', max: '40ms' } }),
      sessionDir: await mkdtemp(join(tmpdir(), 'sb-wechat-restart-')),
      puppet: new PuppetMock({ mocker }),
      qrOutput: new PassThrough(),
    });
    adapters.push(adapter);
    const statuses: AdapterStatus[] = [];
    adapter.status$.subscribe((s) => statuses.push(s));
    await adapter.start();
    const first = adapter.wechaty;
    mocker.login(mocker.createContact({ name: 'Bot' }));
    await until(() => adapter.loggedIn, 'the login');
    await first!.logout();
    await until(() => adapter.wechaty !== undefined && adapter.wechaty !== first, 'the restart');
    const states = statuses.map((s) => `${s.state}${s.detail ? `: ${s.detail}` : ''}`);
    expect(states.slice(2)).toEqual(['ready: logged in as Bot', expect.stringMatching(/^reconnecting: logged out/), 'starting: starting the puppet']);
  });

  it('stops cleanly: no warning, no "reconnecting" status', async () => {
    const mocker = new mock.Mocker();
    const warnings: string[] = [];
    const logger = {
      child: () => logger,
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: (_: object, msg?: string) => void warnings.push(msg ?? ''),
      error: (_: object, msg?: string) => void warnings.push(msg ?? ''),
      fatal: () => undefined,
    };
    const adapter = new WechatAdapter({
      config: WechatConfigSchema.parse({}),
      sessionDir: await mkdtemp(join(tmpdir(), 'sb-wechat-stop-')),
      puppet: new PuppetMock({ mocker }),
      qrOutput: new PassThrough(),
      logger: logger as never,
    });
    const statuses: AdapterStatus[] = [];
    adapter.status$.subscribe((s) => statuses.push(s));
    await adapter.start();
    mocker.login(mocker.createContact({ name: 'Bot' }));
    await until(() => statuses.some((s) => s.state === 'ready'), 'the login');
    await adapter.stop();
    expect(statuses.map((s) => s.state).filter((s) => s === 'reconnecting')).toEqual([]);
    expect(warnings).toEqual([]);
  });
});

describe('WeChat quotes', () => {
  it('splits a quote into the quoted text and the reply', () => {
    expect(parseQuote('「Bot：⚠️ #12 oven: Oven at 70 °C」\n- - - - - - - - - - - - - - -\nack')).toEqual({ quoted: '⚠️ #12 oven: Oven at 70 °C', text: 'ack' });
    expect(parseQuote('「Bot: 🔥 #3 kiln」\n- - - - - - - - - - - - - - -\n@Bot ack')).toEqual({ quoted: '🔥 #3 kiln', text: '@Bot ack' });
    expect(parseQuote('ack #12')).toBeUndefined();
  });
});
