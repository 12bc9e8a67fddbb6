import { commandsPlugin, type Plugin } from '../plugins/Context.js';
import { identityKey, parseIdentity, type Identity } from '../domain/address.js';
import { isTier, tierRank, Tiers, type Tier } from '../domain/tiers.js';
import { CommandError, DirectoryError } from '../errors.js';
import type { User } from '../users/User.js';
import { formatDurationIn } from '../i18n/duration.js';
import { parseLocale } from '../i18n/Locale.js';
import { localized } from './localized.js';
import { clip } from '../util/clip.js';
import type { CommandContext, CommandSpec } from './Command.js';
import type { CommandRegistry } from './CommandRegistry.js';
import { formatAuditEntry } from '../audit/AuditLog.js';

/** The commands every bridge has, with their Chinese names (the first alias of `zh-CN`, shown by `help`). */
export const builtinCommands: readonly CommandSpec[] = [
  {
    name: 'help',
    aliases: ['commands'],
    kind: 'get',
    minTier: 'user',
    description: 'List the commands you may run, or explain one',
    usage: '[command]',
    locales: { 'zh-CN': { aliases: ['帮助', '命令'], description: '列出你可以使用的命令，或说明其中一个', usage: '[命令]' } },
    run: help,
  },
  {
    name: 'whoami',
    kind: 'get',
    minTier: 'user',
    description: 'Show who the bridge thinks you are',
    locales: { 'zh-CN': { aliases: ['我是谁'], description: '显示桥接认为你是谁' } },
    run: whoami,
  },
  {
    name: 'lang',
    aliases: ['language'],
    kind: 'set',
    minTier: 'user',
    description: 'Show or choose the language you read: zh-CN or en',
    usage: '[zh-CN|en]',
    minArgs: 0,
    audit: false,
    locales: { 'zh-CN': { aliases: ['语言'], description: '查看或选择你的语言：zh-CN 或 en', usage: '[zh-CN|en]' } },
    run: lang,
  },
  {
    name: 'notify',
    kind: 'set',
    minTier: 'user',
    description: 'Choose where your notifications go: a platform, all of them, or the one you last wrote from',
    usage: '[last|all|<platform>]',
    // Alone, it shows the choice; `notify:qq` and `set notify qq` also work.
    minArgs: 0,
    locales: { 'zh-CN': { aliases: ['通知'], description: '选择通知发往哪里：某个平台、全部平台，或你最近使用的平台', usage: '[last|all|<平台>]' } },
    run: notify,
  },
  {
    name: 'users',
    kind: 'get',
    minTier: 'admin',
    description: 'List users, their tiers and identities',
    locales: { 'zh-CN': { aliases: ['用户'], description: '列出用户、权限和身份' } },
    run: listUsers,
  },
  {
    name: 'adduser',
    kind: 'control',
    minTier: 'admin',
    description: 'Add a user (at most your own tier)',
    usage: '<name> <tier> [platform:id ...]',
    minArgs: 2,
    locales: { 'zh-CN': { aliases: ['添加用户'], description: '添加用户（权限不高于你自己）', usage: '<名字> <权限> [平台:id ...]' } },
    run: addUser,
  },
  {
    name: 'deluser',
    kind: 'control',
    minTier: 'admin',
    description: 'Remove a user below your tier',
    usage: '<name>',
    minArgs: 1,
    locales: { 'zh-CN': { aliases: ['删除用户'], description: '删除权限低于你的用户', usage: '<名字>' } },
    run: delUser,
  },
  {
    name: 'promote',
    kind: 'control',
    minTier: 'admin',
    description: 'Raise a user one tier, or to the tier given',
    usage: '<name> [tier]',
    minArgs: 1,
    locales: { 'zh-CN': { aliases: ['提权'], description: '把用户提升一级，或提升到指定权限', usage: '<名字> [权限]' } },
    run: (ctx) => changeTier(ctx, -1),
  },
  {
    name: 'demote',
    kind: 'control',
    minTier: 'admin',
    description: 'Lower a user one tier, or to the tier given',
    usage: '<name> [tier]',
    minArgs: 1,
    locales: { 'zh-CN': { aliases: ['降权'], description: '把用户降低一级，或降到指定权限', usage: '<名字> [权限]' } },
    run: (ctx) => changeTier(ctx, +1),
  },
  {
    name: 'audit',
    kind: 'get',
    minTier: 'admin',
    description: 'Show the latest privileged acts: tier and user changes, acks, silences, actions',
    usage: '[n] [user]',
    locales: { 'zh-CN': { aliases: ['审计'], description: '显示最近的特权操作：权限和用户变更、确认、屏蔽、动作', usage: '[条数] [用户]' } },
    run: showAudit,
  },
  {
    name: 'quit',
    aliases: ['shutdown'],
    kind: 'control',
    minTier: 'root',
    description: 'Shut the bridge down after delivering what is pending',
    locales: { 'zh-CN': { aliases: ['退出', '关闭'], description: '发送完待发消息后关闭桥接' } },
    run: quit,
  },
];

/** Register the built-in commands. @returns one disposer for all of them. */
/** The built-in commands as a plugin: the bridge applies it first. */
export const builtinsPlugin: Plugin<unknown> = commandsPlugin('builtins', () => builtinCommands);

export function registerBuiltins(registry: CommandRegistry): () => void {
  const disposers = builtinCommands.map((spec) => registry.register(spec));
  return () => disposers.forEach((dispose) => dispose());
}

async function help(ctx: CommandContext): Promise<void> {
  const { registry } = ctx.services;
  const topic = ctx.args[0];
  if (topic) {
    const command = registry.resolve(topic);
    if (!command || !ctx.caller.may(command)) throw new CommandError(ctx.t('help.noCommand', { name: clip(topic) }));
    const shown = localized(command, ctx.locale);
    const others = command.aliases.filter((a) => a !== shown.name);
    const names = shown.name === command.name ? command.name : `${shown.name} (${command.name})`;
    const lines = [
      `${names}${shown.usage ? ' ' + shown.usage : ''}`,
      shown.description,
      ctx.t('help.details', { kind: command.kind, tier: command.minTier, aliases: others.length ? ctx.t('help.aliases', { aliases: others.join(', ') }) : '' }),
    ];
    if (command.kind === 'set') lines.push(ctx.t('help.set', { name: command.name }));
    await ctx.reply(lines.join('\n'));
    return;
  }
  const visible = registry.list().filter((c) => ctx.caller.may(c));
  const rows = visible.map((c) => {
    const shown = localized(c, ctx.locale);
    const names = shown.name === c.name ? c.name : `${shown.name} (${c.name})`;
    return { head: names + (shown.usage ? ' ' + shown.usage : ''), description: shown.description };
  });
  // Chinese characters take two columns in a chat's monospace font: pad by what is seen.
  const width = Math.max(...rows.map((r) => columns(r.head)));
  const lines = rows.map((r) => `${r.head}${' '.repeat(width - columns(r.head))}  ${r.description}`);
  await ctx.reply(`${ctx.t('help.header')}\n${lines.join('\n')}\n${ctx.t('help.footer')}`);
}

async function whoami(ctx: CommandContext): Promise<void> {
  const { user } = ctx.caller;
  const from = identityKey(ctx.message.from);
  if (!user) {
    await ctx.reply(ctx.t('whoami.guest', { from }));
    return;
  }
  const shared = inSharedChat(ctx);
  const lines = [`${user.name} (${user.tier})`];
  if (shared) lines.push(ctx.t('whoami.identitiesHidden'));
  else lines.push(ctx.t('whoami.identities', { identities: user.identities.map(identityKey).join(', ') }), ctx.t('whoami.writingAs', { from }));
  if (user.subscriptions.length > 0) lines.push(ctx.t('whoami.subscribed', { subscriptions: user.subscriptions.join(', ') }));
  if (user.mutedUntil !== undefined && user.mutedUntil > Date.now()) {
    lines.push(ctx.t('whoami.muted', { duration: formatDurationIn(ctx.locale, user.mutedUntil - Date.now()) }));
  }
  const { notifier } = ctx.services;
  if (notifier) lines.push(ctx.t('whoami.notifications', { where: notifier.describe(user, (key, params) => ctx.t(key, params)) }));
  lines.push(ctx.t('whoami.language', { locale: ctx.locale }));
  await ctx.reply(lines.join('\n'));
}

/** `lang [zh-CN|en]`: show or choose the language the bridge writes to you in. */
async function lang(ctx: CommandContext): Promise<void> {
  const user = actor(ctx);
  const wanted = ctx.args[0];
  if (!wanted) {
    await ctx.reply(ctx.t('lang.current', { locale: ctx.locale }));
    return;
  }
  const locale = parseLocale(wanted);
  if (!locale) throw new CommandError(ctx.t('lang.unknown', { value: clip(wanted) }));
  await ctx.services.directory.setLocale(user, user.name, locale);
  // Said in the language just chosen.
  await ctx.reply(ctx.services.messages.t(locale, 'lang.set'));
}

async function notify(ctx: CommandContext): Promise<void> {
  const user = actor(ctx);
  const { notifier } = ctx.services;
  if (!notifier) throw new CommandError(ctx.t('notify.none'));
  const reachable = notifier.reachable(user);
  const choices = ['last', 'all', ...reachable].join(', ');
  const wanted = ctx.args[0]?.toLowerCase();
  if (!wanted) {
    await ctx.reply(ctx.t('notify.current', { where: notifier.describe(user, (key, params) => ctx.t(key, params)), choices }));
    return;
  }
  if (wanted !== 'last' && wanted !== 'all') {
    if (!notifier.platforms.includes(wanted)) throw new CommandError(ctx.t('notify.notPlatform', { value: clip(ctx.args[0] ?? ''), choices }));
    if (!reachable.includes(wanted)) throw new CommandError(ctx.t('notify.unreachable', { platform: wanted, choices }));
  }
  const updated = await ctx.services.directory.setNotify(user, user.name, wanted);
  await ctx.reply(ctx.t('notify.now', { where: notifier.describe(updated, (key, params) => ctx.t(key, params)) }));
}

async function listUsers(ctx: CommandContext): Promise<void> {
  const users = ctx.services.directory.list();
  if (users.length === 0) {
    await ctx.reply(ctx.t('users.none'));
    return;
  }
  // Platform ids are what a forger needs: never posted to a whole group.
  const shared = inSharedChat(ctx);
  const lines = users.map((u) =>
    shared ? `${u.name} (${u.tier})` : `${u.name} (${u.tier}) — ${u.identities.map(identityKey).join(', ') || ctx.t('users.noIdentities')}`,
  );
  const note = shared ? `\n${ctx.t('users.hiddenNote')}` : '';
  await ctx.reply(`${ctx.t('users.count', { count: users.length })}\n${lines.join('\n')}${note}`);
}

async function addUser(ctx: CommandContext): Promise<void> {
  const [name, tierText, ...identityTexts] = ctx.args as [string, string, ...string[]];
  const tier = requireTier(ctx, tierText);
  let identities: Identity[];
  try {
    identities = identityTexts.map(parseIdentity);
  } catch (error) {
    throw new CommandError((error as Error).message);
  }
  const user = await directoryCall(ctx, () => ctx.services.directory.add(actor(ctx), { name, tier, identities }));
  await ctx.reply(ctx.t('users.added', { name: user.name, tier: user.tier, identities: identities.length ? ` (${identities.map(identityKey).join(', ')})` : '' }));
}

async function delUser(ctx: CommandContext): Promise<void> {
  const user = await directoryCall(ctx, () => ctx.services.directory.remove(actor(ctx), ctx.args[0]!));
  await ctx.reply(ctx.t('users.removed', { name: user.name, tier: user.tier }));
}

async function changeTier(ctx: CommandContext, step: -1 | 1): Promise<void> {
  const [name, tierText] = ctx.args as [string, string | undefined];
  const target = ctx.services.directory.get(name);
  if (!target) throw new CommandError(ctx.t('users.noSuch', { name: clip(name) }));
  let tier: Tier;
  if (tierText !== undefined) {
    tier = requireTier(ctx, tierText);
    const direction = tierRank(tier) - tierRank(target.tier);
    if (direction !== 0 && Math.sign(direction) !== step) {
      throw new CommandError(ctx.t(step < 0 ? 'tier.wouldLower' : 'tier.wouldRaise', { command: ctx.command.name, name: target.name, tier }));
    }
  } else {
    const next = Tiers[tierRank(target.tier) + step];
    if (!next) throw new CommandError(ctx.t(step < 0 ? 'tier.noneAbove' : 'tier.noneBelow', { name: target.name, tier: target.tier }));
    tier = next;
  }
  const user = await directoryCall(ctx, () => ctx.services.directory.setTier(actor(ctx), target.name, tier));
  await ctx.reply(ctx.t('tier.changed', { name: user.name, tier: user.tier, was: target.tier }));
}

async function quit(ctx: CommandContext): Promise<void> {
  const pending = ctx.services.pendingOutbound();
  await ctx.reply(pending > 0 ? ctx.t('quit.pending', { count: pending }) : ctx.t('quit.now'));
  ctx.services.requestShutdown(`quit by ${ctx.caller.name}`);
}

/** Columns a text takes in a monospace font: wide (CJK) characters count two. */
function columns(text: string): number {
  let n = 0;
  for (const ch of text) n += /[\p{Script=Han}\u3000-\u303f\uff00-\uffef]/u.test(ch) ? 2 : 1;
  return n;
}

/** A chat others read too (a group, a guild channel), where platform ids are not posted. */
function inSharedChat(ctx: CommandContext): boolean {
  return ctx.message.chat.kind === 'group' || ctx.message.chat.kind === 'channel';
}

function actor(ctx: CommandContext): User {
  if (!ctx.caller.user) throw new CommandError(ctx.t('users.guestCannot'));
  return ctx.caller.user;
}

function requireTier(ctx: CommandContext, text: string): Tier {
  const tier = text.toLowerCase();
  if (!isTier(tier)) throw new CommandError(ctx.t('tier.invalid', { value: clip(text) }));
  return tier;
}

/** Directory refusals become replies the caller can read; anything else is an internal error. */
async function directoryCall<T>(ctx: CommandContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof DirectoryError) throw new CommandError(error.text ? ctx.t(error.text.key, error.text.params) : `${error.message}.`, error.code);
    throw error;
  }
}

/** Most entries `audit` shows at once. */
const AuditMost = 100;

/** `audit [n] [user]`: the latest n entries (10 unless given), of one actor when named. */
async function showAudit(ctx: CommandContext): Promise<void> {
  const { audit } = ctx.services;
  if (!audit) throw new CommandError(ctx.t('audit.none'));
  let limit = 10;
  let actor: string | undefined;
  for (const arg of ctx.args) {
    if (/^\d+$/.test(arg)) {
      limit = Number(arg);
      if (limit < 1 || limit > AuditMost) throw new CommandError(ctx.t('audit.range', { max: AuditMost, got: arg }));
    } else if (actor === undefined) actor = arg;
    else throw new CommandError(ctx.t('audit.oneUser', { first: clip(actor), second: clip(arg) }));
  }
  const entries = await audit.latest({ limit, ...(actor !== undefined ? { actor } : {}) });
  if (entries.length === 0) {
    await ctx.reply(actor !== undefined ? ctx.t('audit.emptyBy', { actor: clip(actor) }) : ctx.t('audit.empty'));
    return;
  }
  const head = ctx.t('audit.latest', { count: entries.length, by: actor !== undefined ? ctx.t('audit.by', { actor: clip(actor) }) : '' });
  await ctx.reply([head, ...entries.map((entry) => formatAuditEntry(entry))].join('\n'));
}
