import type { Locale, Messages } from '@switchboard/core';

/** What the relay says, in English: notifications, pages, digests, feed notices. */
export const relayMessagesEn = {
  'relay.severity.info': 'info',
  'relay.severity.warning': 'warning',
  'relay.severity.error': 'error',
  'relay.severity.critical': 'critical',
  'relay.page.one': '{icon} #{id} {device}: {text}',
  'relay.page.many': '{icon} {count} new alerts:',
  'relay.alertLine': '#{id} {device}: {text}',
  'relay.resolved.one': '✅ #{id} resolved: {device}: {text}',
  'relay.resolved.many': '✅ {count} alerts resolved:',
  'relay.worse': '{icon} #{id} is now {severity}: {device}: {text}',
  'relay.acked': '👍 #{id} acknowledged by {user}: {device}: {text}',
  'relay.unacked': '↩️ #{id} is unacknowledged again ({user}): {device}: {text}',
  'relay.resolvedBy': '✅ #{id} resolved by {user}: {device}: {text}',
  'relay.snoozed': '😴 #{id} snoozed by {user} for {duration}: {device}: {text}',
  'relay.reminder': '🔁 #{id} still firing after {duration}, unacknowledged: {device}: {text}',
  'relay.escalation': '⏫ #{id} unacknowledged for {duration}: {device}: {text}. Send "ack {id}" to take it.',
  'relay.digest': 'While you were in quiet hours ({count}):',
  'relay.flapping': '〰️ {device} changed {count} times in {duration}, now {state}',
  'relay.feedDown': "feed {feed} is down ({detail}); its devices' alerts are held",
  'relay.feedBack': 'feed {feed} is back ({detail}); held alerts follow',
} as const;

/** The same in Simplified Chinese. */
export const relayMessagesZhCN: Readonly<Record<keyof typeof relayMessagesEn, string>> = {
  'relay.severity.info': '信息',
  'relay.severity.warning': '警告',
  'relay.severity.error': '错误',
  'relay.severity.critical': '严重',
  'relay.page.one': '{icon} #{id} {device}：{text}',
  'relay.page.many': '{icon} {count} 条新告警：',
  'relay.alertLine': '#{id} {device}：{text}',
  'relay.resolved.one': '✅ #{id} 已恢复：{device}：{text}',
  'relay.resolved.many': '✅ {count} 条告警已恢复：',
  'relay.worse': '{icon} #{id} 升级为{severity}：{device}：{text}',
  'relay.acked': '👍 #{id} 已由 {user} 确认：{device}：{text}',
  'relay.unacked': '↩️ #{id} 已取消确认（{user}）：{device}：{text}',
  'relay.resolvedBy': '✅ #{id} 已由 {user} 解决：{device}：{text}',
  'relay.snoozed': '😴 #{id} 已由 {user} 暂缓 {duration}：{device}：{text}',
  'relay.reminder': '🔁 #{id} 已持续 {duration}，仍未确认：{device}：{text}',
  'relay.escalation': '⏫ #{id} 已 {duration} 未确认：{device}：{text}。发送“确认 {id}”接手。',
  'relay.digest': '免打扰期间的消息（{count} 条）：',
  'relay.flapping': '〰️ {device} 在 {duration} 内变化了 {count} 次，现在是 {state}',
  'relay.feedDown': '数据源 {feed} 已断开（{detail}）；其设备的告警暂缓发送',
  'relay.feedBack': '数据源 {feed} 已恢复（{detail}）；暂缓的告警随后发出',
};

/** The relay's catalog entries, added by its plugin with `ctx.messages`. */
export const relayMessages: Partial<Record<Locale, Messages>> = { en: relayMessagesEn, 'zh-CN': relayMessagesZhCN };
