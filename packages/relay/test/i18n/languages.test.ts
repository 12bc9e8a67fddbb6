import { describe, expect, it } from 'vitest';
import { pinyinInitials, placeholders, systemActor } from '@switchboard/core';
import { RelaySections, relayMessagesEn, relayMessagesZhCN } from '@switchboard/relay';
import { alertBridge, settle, useFakeClock } from '../fixtures/alerting.js';

useFakeClock();

const routes = RelaySections.routes.parse([
  {
    name: 'heat',
    match: { topic: 'temperature' },
    notify: { users: ['uma', 'ulf'] },
    subscribers: 'user',
    alert: { severity: 'warning', groupWait: '0s', repeatInterval: '1h', escalate: [{ after: '10m', notify: { tier: 'admin' } }] },
  },
  { name: 'doors', match: { topic: 'door' }, notify: { users: ['uma', 'ulf'] }, template: { en: '{{device}} is {{state}}', 'zh-CN': '{{device}} 状态：{{state}}' } },
  { name: 'lights', match: { topic: 'light' }, notify: { users: ['uma', 'ulf'] }, template: { en: 'light {{device}}: {{state}}' } },
]);

describe('the relay in each reader\'s language', () => {
  it('has every key in both languages, with the same placeholders', () => {
    const en = relayMessagesEn as Record<string, string>;
    const zh = relayMessagesZhCN as Record<string, string>;
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const key of Object.keys(en)) expect({ key, p: placeholders(zh[key]!) }).toEqual({ key, p: placeholders(en[key]!) });
  });

  it('one alert: uma reads Chinese, ulf English, for the page, the reminder, the escalation and the ack', async () => {
    const { bridge, feed, inbox, say } = await alertBridge(routes);
    await bridge.directory.setLocale(systemActor('test'), 'uma', 'zh-CN');
    await bridge.directory.setLocale(systemActor('test'), 'ada', 'zh-CN');
    await feed({});
    expect(inbox('uma')).toEqual(['⚠️ #1 oven：Oven at 70 °C']);
    expect(inbox('ulf')).toEqual(['⚠️ #1 oven: Oven at 70 °C']);
    await settle(11 * 60_000);
    expect(inbox('ada').at(-1)).toBe('⏫ #1 已 10分钟 未确认：oven：Oven at 70 °C。发送“确认 1”接手。');
    expect(inbox('root1').at(-1)).toBe('⏫ #1 unacknowledged for 10m: oven: Oven at 70 °C. Send "ack 1" to take it.');
    await feed({ severity: 'critical', text: 'Oven at 95 °C' });
    expect(inbox('uma').at(-1)).toBe('🔥 #1 升级为严重：oven：Oven at 95 °C');
    expect(inbox('ulf').at(-1)).toBe('🔥 #1 is now critical: oven: Oven at 95 °C');
    expect(await say('ulf', 'ack 1')).toBe('You acknowledged #1.');
    expect(inbox('uma').at(-1)).toBe('👍 #1 已由 ulf 确认：oven：Oven at 70 °C');
    expect(inbox('ada').at(-1)).toBe('👍 #1 已由 ulf 确认：oven：Oven at 70 °C');
    const timeline = await say('uma', '告警详情 1');
    expect(timeline).toMatch(/^#1 critical lab\/oven：Oven at 70 °C — 已由 ulf 确认，×2\n\+0毫秒 打开：Oven at 70 °C\n\+0毫秒 通知了 uma, ulf\n\+10分钟 升级（第 1 步）通知 root1, ada\n\+11分钟 升级为 critical：Oven at 95 °C\n\+11分钟 由 ulf 确认$/);
    expect(await say('ulf', 'alert 1')).toMatch(/\n\+0ms opened: Oven at 70 °C\n\+0ms paged uma, ulf\n/);
    await feed({ state: 'ok', severity: 'info', resolved: true, text: 'Oven at 40 °C' });
    expect(inbox('uma').at(-1)).toBe('✅ #1 已恢复：oven：Oven at 40 °C');
    expect(inbox('ulf').at(-1)).toBe('✅ #1 resolved: oven: Oven at 40 °C');
  });

  it('a route template per language, falling back to English', async () => {
    const { bridge, feed, inbox } = await alertBridge(routes);
    await bridge.directory.setLocale(systemActor('test'), 'uma', 'zh-CN');
    await feed({ topic: 'door', key: 'front', state: 'open', severity: 'info', text: 'Front door open' });
    expect(inbox('uma')).toEqual(['front 状态：open']);
    expect(inbox('ulf')).toEqual(['front is open']);
    await feed({ topic: 'light', key: 'hall', state: 'on', severity: 'info', text: 'Hall light on' });
    expect(inbox('uma').at(-1)).toBe('light hall: on');
  });

  it('every Chinese command name has pinyin initials for "did you mean"', async () => {
    const { bridge } = await alertBridge(routes);
    const chinese = bridge.registry.list().flatMap((c) => c.aliases.filter((a) => /\p{Script=Han}/u.test(a)));
    expect(chinese.length).toBeGreaterThan(25);
    expect(chinese.filter((a) => pinyinInitials(a) === undefined)).toEqual([]);
    expect(pinyinInitials('状态')).toBe('zt');
    expect(pinyinInitials('确认')).toBe('qr');
  });

  it('a bridge set to Chinese speaks it to everyone who chose nothing', async () => {
    const { feed, inbox } = await alertBridge(routes, { bridge: { locale: 'zh-CN' } });
    await feed({});
    expect(inbox('uma')).toEqual(['⚠️ #1 oven：Oven at 70 °C']);
    expect(inbox('ulf')).toEqual(['⚠️ #1 oven：Oven at 70 °C']);
  });
});
