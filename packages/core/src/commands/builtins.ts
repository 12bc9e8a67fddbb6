import { commandsPlugin, type Plugin } from '../plugins/Context.js';
import { identityKey, parseIdentity, type Identity } from '../domain/address.js';
import { isTier, tierRank, Tiers, type Tier } from '../domain/tiers.js';
import { CommandError, DirectoryError } from '../errors.js';
import type { User } from '../users/User.js';
import { formatDuration } from '../util/duration.js';
import { clip } from '../util/clip.js';
import type { CommandContext, CommandSpec } from './Command.js';
import type { CommandRegistry } from './CommandRegistry.js';
import { formatAuditEntry } from '../audit/AuditLog.js';

/** The commands every bridge has. */
export const builtinCommands: readonly CommandSpec[] = [
  {
    name: 'help',
    aliases: ['commands'],
    kind: 'get',
    minTier: 'user',
    description: 'List the commands you may run, or explain one',
    usage: '[command]',
    run: help,
  },
  {
    name: 'whoami',
    kind: 'get',
    minTier: 'user',
    description: 'Show who the bridge thinks you are',
    run: whoami,
  },
  {
    name: 'notify',
    kind: 'set',
    minTier: 'user',
    description: 'Choose where your notifications go: a platform, all of them, or the one you last wrote from',
    usage: '[last|all|<platform>]',
    // Alone, it shows the choice; `notify:qq` and `set notify qq` also work.
    minArgs: 0,
    run: notify,
  },
  {
    name: 'users',
    kind: 'get',
    minTier: 'admin',
    description: 'List users, their tiers and identities',
    run: listUsers,
  },
  {
    name: 'adduser',
    kind: 'control',
    minTier: 'admin',
    description: 'Add a user (at most your own tier)',
    usage: '<name> <tier> [platform:id ...]',
    minArgs: 2,
    run: addUser,
  },
  {
    name: 'deluser',
    kind: 'control',
    minTier: 'admin',
    description: 'Remove a user below your tier',
    usage: '<name>',
    minArgs: 1,
    run: delUser,
  },
  {
    name: 'promote',
    kind: 'control',
    minTier: 'admin',
    description: 'Raise a user one tier, or to the tier given',
    usage: '<name> [tier]',
    minArgs: 1,
    run: (ctx) => changeTier(ctx, -1),
  },
  {
    name: 'demote',
    kind: 'control',
    minTier: 'admin',
    description: 'Lower a user one tier, or to the tier given',
    usage: '<name> [tier]',
    minArgs: 1,
    run: (ctx) => changeTier(ctx, +1),
  },
  {
    name: 'audit',
    kind: 'get',
    minTier: 'admin',
    description: 'Show the latest privileged acts: tier and user changes, acks, silences, actions',
    usage: '[n] [user]',
    run: showAudit,
  },
  {
    name: 'quit',
    aliases: ['shutdown'],
    kind: 'control',
    minTier: 'root',
    description: 'Shut the bridge down after delivering what is pending',
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
    if (!command || !ctx.caller.may(command)) throw new CommandError(`No command "${clip(topic)}" that you may run.`);
    const lines = [
      `${command.name}${command.usage ? ' ' + command.usage : ''}`,
      command.description,
      `kind: ${command.kind}; needs: ${command.minTier}${command.aliases.length ? `; aliases: ${command.aliases.join(', ')}` : ''}`,
    ];
    if (command.kind === 'set') lines.push(`Set it with "${command.name}:value" or "set ${command.name} value".`);
    await ctx.reply(lines.join('\n'));
    return;
  }
  const visible = registry.list().filter((c) => ctx.caller.may(c));
  const width = Math.max(...visible.map((c) => (c.name + (c.usage ? ' ' + c.usage : '')).length));
  const lines = visible.map((c) => `${(c.name + (c.usage ? ' ' + c.usage : '')).padEnd(width)}  ${c.description}`);
  await ctx.reply(`Commands you may run:\n${lines.join('\n')}\nSend "help <command>" for details.`);
}

async function whoami(ctx: CommandContext): Promise<void> {
  const { user } = ctx.caller;
  const from = identityKey(ctx.message.from);
  if (!user) {
    await ctx.reply(`You are a guest (${from}), not in the user directory.`);
    return;
  }
  const shared = inSharedChat(ctx);
  const lines = [`${user.name} (${user.tier})`];
  if (shared) lines.push('identities: not shown in a group; ask in a direct chat');
  else lines.push(`identities: ${user.identities.map(identityKey).join(', ')}`, `writing as: ${from}`);
  if (user.subscriptions.length > 0) lines.push(`subscribed to: ${user.subscriptions.join(', ')}`);
  if (user.mutedUntil !== undefined && user.mutedUntil > Date.now()) {
    lines.push(`muted for another ${formatDuration(user.mutedUntil - Date.now())}`);
  }
  const { notifier } = ctx.services;
  if (notifier) lines.push(`notifications: ${notifier.describe(user)}`);
  await ctx.reply(lines.join('\n'));
}

async function notify(ctx: CommandContext): Promise<void> {
  const user = actor(ctx);
  const { notifier } = ctx.services;
  if (!notifier) throw new CommandError('This bridge sends no notifications.');
  const reachable = notifier.reachable(user);
  const choices = ['last', 'all', ...reachable].join(', ');
  const wanted = ctx.args[0]?.toLowerCase();
  if (!wanted) {
    await ctx.reply(`Your notifications go to: ${notifier.describe(user)}.\nChoose with "notify <choice>": ${choices}.`);
    return;
  }
  if (wanted !== 'last' && wanted !== 'all') {
    if (!notifier.platforms.includes(wanted)) {
      throw new CommandError(`"${clip(ctx.args[0] ?? '')}" is not a platform this bridge runs; choose one of: ${choices}.`);
    }
    if (!reachable.includes(wanted)) {
      throw new CommandError(`You have no identity on ${wanted} that it can reach; choose one of: ${choices}.`);
    }
  }
  const updated = await ctx.services.directory.setNotify(user, user.name, wanted);
  await ctx.reply(`Your notifications now go to: ${notifier.describe(updated)}.`);
}

async function listUsers(ctx: CommandContext): Promise<void> {
  const users = ctx.services.directory.list();
  if (users.length === 0) {
    await ctx.reply('No users.');
    return;
  }
  // Platform ids are what a forger needs: never posted to a whole group.
  const shared = inSharedChat(ctx);
  const lines = users.map((u) =>
    shared ? `${u.name} (${u.tier})` : `${u.name} (${u.tier}) — ${u.identities.map(identityKey).join(', ') || 'no identities'}`,
  );
  const note = shared ? '\n(Identities are not shown in a group; ask in a direct chat.)' : '';
  await ctx.reply(`${users.length} user${users.length === 1 ? '' : 's'}:\n${lines.join('\n')}${note}`);
}

async function addUser(ctx: CommandContext): Promise<void> {
  const [name, tierText, ...identityTexts] = ctx.args as [string, string, ...string[]];
  const tier = requireTier(tierText);
  let identities: Identity[];
  try {
    identities = identityTexts.map(parseIdentity);
  } catch (error) {
    throw new CommandError((error as Error).message);
  }
  const user = await directoryCall(() => ctx.services.directory.add(actor(ctx), { name, tier, identities }));
  await ctx.reply(`Added ${user.name} as ${user.tier}${identities.length ? ` (${identities.map(identityKey).join(', ')})` : ''}.`);
}

async function delUser(ctx: CommandContext): Promise<void> {
  const user = await directoryCall(() => ctx.services.directory.remove(actor(ctx), ctx.args[0]!));
  await ctx.reply(`Removed ${user.name} (${user.tier}).`);
}

async function changeTier(ctx: CommandContext, step: -1 | 1): Promise<void> {
  const [name, tierText] = ctx.args as [string, string | undefined];
  const target = ctx.services.directory.get(name);
  if (!target) throw new CommandError(`There is no user named ${clip(name)}.`);
  let tier: Tier;
  if (tierText !== undefined) {
    tier = requireTier(tierText);
    const direction = tierRank(tier) - tierRank(target.tier);
    if (direction !== 0 && Math.sign(direction) !== step) {
      throw new CommandError(
        `${ctx.command.name} ${target.name} ${tier} would ${step < 0 ? 'lower' : 'raise'} them; use "${step < 0 ? 'demote' : 'promote'}".`,
      );
    }
  } else {
    const next = Tiers[tierRank(target.tier) + step];
    if (!next) throw new CommandError(`${target.name} is already ${target.tier}; there is no tier ${step < 0 ? 'above' : 'below'}.`);
    tier = next;
  }
  const user = await directoryCall(() => ctx.services.directory.setTier(actor(ctx), target.name, tier));
  await ctx.reply(`${user.name} is now ${user.tier} (was ${target.tier}).`);
}

async function quit(ctx: CommandContext): Promise<void> {
  const pending = ctx.services.pendingOutbound();
  await ctx.reply(
    pending > 0 ? `Shutting down after delivering ${pending} pending message${pending === 1 ? '' : 's'}.` : 'Shutting down.',
  );
  ctx.services.requestShutdown(`quit by ${ctx.caller.name}`);
}

/** A chat others read too (a group, a guild channel), where platform ids are not posted. */
function inSharedChat(ctx: CommandContext): boolean {
  return ctx.message.chat.kind === 'group' || ctx.message.chat.kind === 'channel';
}

function actor(ctx: CommandContext): User {
  if (!ctx.caller.user) throw new CommandError('Guests cannot change the user directory.');
  return ctx.caller.user;
}

function requireTier(text: string): Tier {
  const tier = text.toLowerCase();
  if (!isTier(tier)) throw new CommandError(`"${clip(text)}" is not a tier; use root, admin or user.`);
  return tier;
}

/** Directory refusals become replies the caller can read; anything else is an internal error. */
async function directoryCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof DirectoryError) throw new CommandError(`${error.message}.`, error.code);
    throw error;
  }
}

/** Most entries `audit` shows at once. */
const AuditMost = 100;

/** `audit [n] [user]`: the latest n entries (10 unless given), of one actor when named. */
async function showAudit(ctx: CommandContext): Promise<void> {
  const { audit } = ctx.services;
  if (!audit) throw new CommandError('This bridge keeps no audit log.');
  let limit = 10;
  let actor: string | undefined;
  for (const arg of ctx.args) {
    if (/^\d+$/.test(arg)) {
      limit = Number(arg);
      if (limit < 1 || limit > AuditMost) throw new CommandError(`audit shows from 1 to ${AuditMost} entries (got ${arg}).\nUsage: audit [n] [user]`);
    } else if (actor === undefined) actor = arg;
    else throw new CommandError(`audit takes one user (got "${clip(actor)}" and "${clip(arg)}").\nUsage: audit [n] [user]`);
  }
  const entries = await audit.latest({ limit, ...(actor !== undefined ? { actor } : {}) });
  if (entries.length === 0) {
    await ctx.reply(actor !== undefined ? `The audit log has nothing by ${clip(actor)}.` : 'The audit log is empty.');
    return;
  }
  const head = `Latest ${entries.length} audit ${entries.length === 1 ? 'entry' : 'entries'}${actor !== undefined ? ` by ${clip(actor)}` : ''}:`;
  await ctx.reply([head, ...entries.map((entry) => formatAuditEntry(entry))].join('\n'));
}
