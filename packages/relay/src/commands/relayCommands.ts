import { clip, commandsPlugin, CommandError, formatDuration, type CommandSpec, type Plugin } from '@switchboard/core';
import { assertTimeZone, parseClock } from '../alerts/QuietHours.js';
import type { RelayContext } from '../RelayContext.js';
import { durationArg } from './args.js';
import type { DeviceState } from '../state/DeviceStates.js';

const icons: Record<string, string> = { info: '·', warning: '!', error: '!!', critical: '!!!' };

/** The relay's chat commands: status, sources, subscribe, unsubscribe, mute. */
export function relayCommands(relay: RelayContext): CommandSpec[] {
  const visible = (state: DeviceState, ctx: Parameters<CommandSpec['run']>[0]): boolean =>
    ctx.caller.user !== undefined && relay.router.canSee(ctx.caller.user, { ...state, event: false });
  return [
    {
      name: 'status',
      kind: 'get',
      minTier: 'user',
      description: 'Last known state of the devices you may see',
      usage: '[device]',
      run: async (ctx) => {
        const filter = ctx.args[0]?.toLowerCase();
        const states = relay.states
          .list()
          .filter((s) => visible(s, ctx))
          .filter((s) => !filter || s.key.toLowerCase() === filter || `${s.source}/${s.key}`.toLowerCase() === filter);
        if (states.length === 0) {
          await ctx.reply(filter ? `No device "${clip(ctx.args[0] ?? '')}" that you may see.` : 'No devices that you may see yet.');
          return;
        }
        const now = Date.now();
        const lines = states.map(
          (s) => `${icons[s.severity] ?? ''} ${s.source}/${s.key}: ${s.state} — ${s.text} (${formatDuration(now - s.since)} in this state)`.trim(),
        );
        await ctx.reply(lines.join('\n'));
      },
    },
    {
      name: 'sources',
      kind: 'get',
      minTier: 'admin',
      description: 'Feed connections: state, last frame, reconnects, malformed frames',
      run: async (ctx) => {
        const now = Date.now();
        const lines = relay.sources.map((source) => {
          const s = source.stats();
          const age = s.lastFrameAt !== undefined ? `last frame ${formatDuration(now - s.lastFrameAt)} ago` : 'no frame yet';
          return `${source.name} (${source.kind}): ${s.state}${s.detail ? ` — ${s.detail}` : ''}; ${age}; ${s.frames} frames, ${s.reconnects} reconnects, ${s.malformed} malformed`;
        });
        await ctx.reply(lines.join('\n') || 'No feeds configured.');
      },
    },
    {
      name: 'subscribe',
      aliases: ['sub'],
      kind: 'control',
      minTier: 'user',
      description: 'Hear about a device or topic (within what the rules let you see)',
      usage: '<device|topic>',
      minArgs: 1,
      run: async (ctx) => {
        const user = ctx.caller.user!;
        const target = ctx.args[0]!;
        if (!relay.router.maySubscribe(user, target)) {
          throw new CommandError(`No rule lets you follow "${clip(target)}"; ask an admin.`);
        }
        const why = relay.router.whyNothingArrives(user, target, relay.states.list());
        if (why) throw new CommandError(`Not following ${clip(target)}: ${why}. Ask an admin to change the rules.`);
        if (user.subscriptions.some((s) => s.toLowerCase() === target.toLowerCase())) {
          await ctx.reply(`You already follow ${target}.`);
          return;
        }
        await ctx.services.directory.setSubscriptions(user, user.name, [...user.subscriptions, target]);
        await ctx.reply(`You now follow ${target}.`);
      },
    },
    {
      name: 'unsubscribe',
      aliases: ['unsub'],
      kind: 'control',
      minTier: 'user',
      description: 'Stop hearing about a device or topic',
      usage: '<device|topic>',
      minArgs: 1,
      run: async (ctx) => {
        const user = ctx.caller.user!;
        const target = ctx.args[0]!.toLowerCase();
        const rest = user.subscriptions.filter((s) => s.toLowerCase() !== target);
        if (rest.length === user.subscriptions.length) throw new CommandError(`You do not follow ${clip(ctx.args[0] ?? '')}.`);
        await ctx.services.directory.setSubscriptions(user, user.name, rest);
        await ctx.reply(`You no longer follow ${clip(ctx.args[0] ?? '')}.`);
      },
    },
    {
      name: 'mute',
      kind: 'control',
      minTier: 'user',
      description: 'Hold your notifications for a while (default 1h); "mute off" ends it',
      usage: '[duration|off]',
      run: async (ctx) => {
        const user = ctx.caller.user!;
        const arg = ctx.args[0]?.toLowerCase();
        if (arg === 'off') {
          await ctx.services.directory.setMutedUntil(user, user.name, undefined);
          await ctx.reply('Notifications are on again.');
          return;
        }
        const ms = durationArg(arg ?? '1h', 1, 30 * 86_400_000, 'Mute for between 1s and 30d.');
        await ctx.services.directory.setMutedUntil(user, user.name, Date.now() + ms);
        await ctx.reply(`Muted for ${formatDuration(ms)}. Send "mute off" to end it sooner.`);
      },
    },
    {
      name: 'quiet',
      kind: 'set',
      minTier: 'user',
      description: 'Quiet hours: hold pages (critical ones pass) and get a digest after',
      usage: '<HH:MM-HH:MM [time zone]|off|critical on|critical off>',
      minArgs: 0,
      run: async (ctx) => {
        const user = ctx.caller.user!;
        const [first, second] = ctx.args;
        const current = relay.quiet.windowOf(user.name);
        if (first === undefined) {
          await ctx.reply(
            current
              ? `Quiet hours ${current.from}–${current.to} (${current.timeZone}); critical pages ${current.critical ? 'come through' : 'are held too'}.`
              : 'No quiet hours. Set them with e.g. "quiet 23:00-07:00 Asia/Shanghai".',
          );
          return;
        }
        if (first.toLowerCase() === 'off') {
          await relay.quiet.setWindow(user.name, undefined);
          await ctx.reply('Quiet hours are off; anything held arrives as a digest now.');
          relay.delivery.scheduleDigests();
          return;
        }
        if (first.toLowerCase() === 'critical') {
          if (!current) throw new CommandError('Set quiet hours first, e.g. "quiet 23:00-07:00".');
          if (second !== 'on' && second !== 'off') throw new CommandError('Use "quiet critical on" (critical pages come through) or "quiet critical off".');
          await relay.quiet.setWindow(user.name, { ...current, critical: second === 'on' });
          await ctx.reply(second === 'on' ? 'Critical pages come through your quiet hours.' : 'Critical pages are held during your quiet hours too.');
          return;
        }
        const range = /^(\S+)-(\S+)$/.exec(first);
        if (!range) throw new CommandError(`"${first}" is not a time range; use e.g. quiet 23:00-07:00 Asia/Shanghai`);
        const timeZone = second ?? relay.defaultTimeZone;
        try {
          parseClock(range[1]!);
          parseClock(range[2]!);
          assertTimeZone(timeZone);
        } catch (error) {
          throw new CommandError((error as Error).message);
        }
        if (parseClock(range[1]!) === parseClock(range[2]!)) throw new CommandError('The quiet hours must not start and end at the same time.');
        await relay.quiet.setWindow(user.name, { from: range[1]!, to: range[2]!, timeZone, critical: current?.critical ?? true });
        await ctx.reply(`Quiet hours ${range[1]}–${range[2]} (${timeZone}); critical pages come through unless you send "quiet critical off".`);
      },
    },
  ];
}

/** The commands above (status, sources, subscribe, unsubscribe, mute, quiet) as a plugin, applied by the relay with its context. */
export const relayCommandsPlugin: Plugin<RelayContext> = commandsPlugin('commands', relayCommands);
