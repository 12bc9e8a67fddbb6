import type { Locale, Messages } from '@switchboard/core';

/** What the operations plugin says in chat, in English. */
export const opsMessagesEn = {
  'ops.web.description': 'Send you a one-time link to the web console (alerts, feeds, users, audit)',
  'ops.web.link': 'Web console, signed in as {user}: {url}\nThe link works once, within {duration}. Do not pass it on.',
  'ops.web.notInGroup': 'I send login links only in a one-to-one chat, and I cannot reach you in one yet: anyone in this chat could use the link. Send "web" to me directly.',
  'ops.web.sentPrivately': 'I sent you a login link in our one-to-one chat ({platform}).',
  'ops.web.acted': '{what} (from the web console)',
  'ops.web.acked': 'You acknowledged #{id}.',
  'ops.web.unacked': 'You handed #{id} back.',
  'ops.web.resolved': 'You resolved #{id}.',
  'ops.web.snoozed': 'You snoozed #{id} for {duration}.',
} as const satisfies Messages;

/** The same, in Chinese. */
export const opsMessagesZh: { readonly [K in keyof typeof opsMessagesEn]: string } = {
  'ops.web.description': '给你发一个一次性网页控制台链接（告警、数据源、用户、审计）',
  'ops.web.link': '网页控制台，登录身份 {user}：{url}\n链接只能用一次，{duration}内有效。请勿转发。',
  'ops.web.notInGroup': '登录链接只在一对一聊天中发送，而我还无法私聊你：这个聊天里的任何人都能用它。请直接私聊我发送“web”。',
  'ops.web.sentPrivately': '登录链接已通过一对一聊天发给你（{platform}）。',
  'ops.web.acted': '{what}（来自网页控制台）',
  'ops.web.acked': '你确认了 #{id}。',
  'ops.web.unacked': '你交回了 #{id}。',
  'ops.web.resolved': '你解决了 #{id}。',
  'ops.web.snoozed': '你把 #{id} 暂缓了 {duration}。',
};

/** Both languages, for `ctx.messages`. */
export const opsMessages: Partial<Record<Locale, Messages>> = { en: opsMessagesEn, 'zh-CN': opsMessagesZh };
