import { CommandError, formatDurationIn, type Address, type CommandSpec, type OutboundMessage } from '@switchboard/core';

/** What the `web` command needs of the server. */
export interface LinkIssuer {
  loginLink(user: string): { url: string; expiresAt: number };
}

/** How the `web` command reaches someone one-to-one when they ask in a group. */
export interface PrivateLine {
  /** The one-to-one chats the user is reached at now (their notification route, groups left out). */
  privateChats(user: string): readonly Address[];
  send(message: OutboundMessage): Promise<unknown>;
}

/**
 * `web`: a one-time login link to the console for the caller, acting with their tier. Asked in a
 * group, the link goes to the caller's one-to-one chat (where their notifications go), never to
 * the group: anyone who can read a link can use it first.
 */
export function webCommand(server: LinkIssuer, line: PrivateLine): CommandSpec {
  return {
    name: 'web',
    kind: 'get',
    minTier: 'user',
    guests: false,
    audit: true,
    description: 'Send you a one-time link to the web console (alerts, feeds, users, audit)',
    locales: { 'zh-CN': { aliases: ['网页', '控制台'], description: '给你发一个一次性网页控制台链接（告警、数据源、用户、审计）' } },
    run: async (ctx) => {
      const chat = ctx.message.chat.kind;
      const user = ctx.caller.user!;
      const inGroup = chat === 'group' || chat === 'channel';
      const to = inGroup ? line.privateChats(user.name)[0] : undefined;
      if (inGroup && !to) throw new CommandError(ctx.t('ops.web.notInGroup'));
      const { url, expiresAt } = server.loginLink(user.name);
      const text = ctx.t('ops.web.link', { user: user.name, url, duration: formatDurationIn(ctx.locale, expiresAt - Date.now()) });
      if (to) {
        await line.send({ to, text, priority: 'high', createdAt: Date.now() });
        await ctx.reply(ctx.t('ops.web.sentPrivately', { platform: to.platform }));
      } else {
        await ctx.reply(text);
      }
    },
  };
}
