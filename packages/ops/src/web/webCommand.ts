import { CommandError, formatDurationIn, type CommandSpec } from '@switchboard/core';

/** What the `web` command needs of the server. */
export interface LinkIssuer {
  loginLink(user: string): { url: string; expiresAt: number };
}

/**
 * `web`: a one-time login link to the console for the caller, acting with their tier. Only in a
 * one-to-one chat, since anyone who can read the link can use it first.
 */
export function webCommand(server: LinkIssuer): CommandSpec {
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
      if (chat === 'group' || chat === 'channel') throw new CommandError(ctx.t('ops.web.notInGroup'));
      const user = ctx.caller.user!;
      const { url, expiresAt } = server.loginLink(user.name);
      await ctx.reply(ctx.t('ops.web.link', { user: user.name, url, duration: formatDurationIn(ctx.locale, expiresAt - Date.now()) }));
    },
  };
}
