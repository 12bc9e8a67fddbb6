import { clip, commandsPlugin, CommandError, formatDurationIn, type CommandSpec, type Plugin } from '@switchboard/core';
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
      locales: { 'zh-CN': { aliases: ['状态'], description: '你可以查看的设备的最新状态', usage: '[设备]' } },
      run: async (ctx) => {
        const filter = ctx.args[0]?.toLowerCase();
        const states = relay.states
          .list()
          .filter((s) => visible(s, ctx))
          .filter((s) => !filter || s.key.toLowerCase() === filter || `${s.source}/${s.key}`.toLowerCase() === filter);
        if (states.length === 0) {
          await ctx.reply(filter ? ctx.t('relay.status.noDevice', { device: clip(ctx.args[0] ?? '') }) : ctx.t('relay.status.none'));
          return;
        }
        const now = Date.now();
        const lines = states.map(
          (s) => `${icons[s.severity] ?? ''} ${ctx.t('relay.status.line', { device: `${s.source}/${s.key}`, state: s.state, text: s.text, duration: formatDurationIn(ctx.locale, now - s.since) })}`.trim(),
        );
        await ctx.reply(lines.join('\n'));
      },
    },
    {
      name: 'sources',
      kind: 'get',
      minTier: 'admin',
      description: 'Feed connections: state, last frame, reconnects, malformed frames',
      locales: { 'zh-CN': { aliases: ['数据源'], description: '数据源连接：状态、最近一帧、重连次数、格式错误的帧' } },
      run: async (ctx) => {
        const now = Date.now();
        const lines = relay.sources.map((source) => {
          const s = source.stats();
          const age = s.lastFrameAt !== undefined ? ctx.t('relay.sources.lastFrame', { duration: formatDurationIn(ctx.locale, now - s.lastFrameAt) }) : ctx.t('relay.sources.noFrame');
          const state = `${s.state}${s.detail ? ` — ${s.detail}` : ''}`;
          return ctx.t('relay.sources.line', { name: source.name, kind: source.kind, state, age, frames: s.frames, reconnects: s.reconnects, malformed: s.malformed });
        });
        await ctx.reply(lines.join('\n') || ctx.t('relay.sources.none'));
      },
    },
    {
      name: 'subscribe',
      aliases: ['sub'],
      kind: 'control',
      minTier: 'user',
      description: 'Hear about a device or topic (within what the rules let you see)',
      usage: '<device|topic>',
      locales: { 'zh-CN': { aliases: ['订阅'], description: '接收某个设备或主题的消息（在规则允许的范围内）', usage: '<设备|主题>' } },
      minArgs: 1,
      run: async (ctx) => {
        const user = ctx.caller.user!;
        const target = ctx.args[0]!;
        if (!relay.router.maySubscribe(user, target)) {
          throw new CommandError(ctx.t('relay.subscribe.noRule', { target: clip(target) }));
        }
        const why = relay.router.whyNothingArrives(user, target, relay.states.list());
        if (why) throw new CommandError(ctx.t('relay.subscribe.nothingArrives', { target: clip(target), why: ctx.t(why.key, why.params) }));
        if (user.subscriptions.some((s) => s.toLowerCase() === target.toLowerCase())) {
          await ctx.reply(ctx.t('relay.subscribe.already', { target }));
          return;
        }
        await ctx.services.directory.setSubscriptions(user, user.name, [...user.subscriptions, target]);
        await ctx.reply(ctx.t('relay.subscribe.done', { target }));
      },
    },
    {
      name: 'unsubscribe',
      aliases: ['unsub'],
      kind: 'control',
      minTier: 'user',
      description: 'Stop hearing about a device or topic',
      usage: '<device|topic>',
      locales: { 'zh-CN': { aliases: ['取消订阅'], description: '不再接收某个设备或主题的消息', usage: '<设备|主题>' } },
      minArgs: 1,
      run: async (ctx) => {
        const user = ctx.caller.user!;
        const target = ctx.args[0]!.toLowerCase();
        const rest = user.subscriptions.filter((s) => s.toLowerCase() !== target);
        if (rest.length === user.subscriptions.length) throw new CommandError(ctx.t('relay.unsubscribe.notFollowing', { target: clip(ctx.args[0] ?? '') }));
        await ctx.services.directory.setSubscriptions(user, user.name, rest);
        await ctx.reply(ctx.t('relay.unsubscribe.done', { target: clip(ctx.args[0] ?? '') }));
      },
    },
    {
      name: 'mute',
      kind: 'control',
      minTier: 'user',
      description: 'Hold your notifications for a while (default 1h); "mute off" ends it',
      usage: '[duration|off]',
      locales: { 'zh-CN': { aliases: ['静音'], description: '暂停接收通知一段时间（默认 1 小时）；“静音 off”结束', usage: '[时长|off]' } },
      run: async (ctx) => {
        const user = ctx.caller.user!;
        const arg = ctx.args[0]?.toLowerCase();
        if (arg === 'off') {
          await ctx.services.directory.setMutedUntil(user, user.name, undefined);
          await ctx.reply(ctx.t('relay.mute.off'));
          return;
        }
        const ms = durationArg(arg ?? '1h', 1, 30 * 86_400_000, 'Mute for between 1s and 30d.');
        await ctx.services.directory.setMutedUntil(user, user.name, Date.now() + ms);
        await ctx.reply(ctx.t('relay.mute.on', { duration: formatDurationIn(ctx.locale, ms) }));
      },
    },
    {
      name: 'quiet',
      kind: 'set',
      minTier: 'user',
      description: 'Quiet hours: hold pages (critical ones pass) and get a digest after',
      usage: '<HH:MM-HH:MM [time zone]|off|critical on|critical off>',
      locales: { 'zh-CN': { aliases: ['免打扰'], description: '免打扰时段：暂缓告警（严重告警照常），结束后发送汇总', usage: '<HH:MM-HH:MM [时区]|off|critical on|critical off>' } },
      minArgs: 0,
      run: async (ctx) => {
        const user = ctx.caller.user!;
        const [first, second] = ctx.args;
        const current = relay.quiet.windowOf(user.name);
        if (first === undefined) {
          await ctx.reply(
            current
              ? ctx.t(current.critical ? 'relay.quiet.showPass' : 'relay.quiet.showHeld', { from: current.from, to: current.to, zone: current.timeZone })
              : ctx.t('relay.quiet.none'),
          );
          return;
        }
        if (first.toLowerCase() === 'off') {
          await relay.quiet.setWindow(user.name, undefined);
          await ctx.reply(ctx.t('relay.quiet.off'));
          relay.delivery.scheduleDigests();
          return;
        }
        if (first.toLowerCase() === 'critical') {
          if (!current) throw new CommandError(ctx.t('relay.quiet.setFirst'));
          if (second !== 'on' && second !== 'off') throw new CommandError(ctx.t('relay.quiet.criticalUsage'));
          await relay.quiet.setWindow(user.name, { ...current, critical: second === 'on' });
          await ctx.reply(ctx.t(second === 'on' ? 'relay.quiet.criticalOn' : 'relay.quiet.criticalOff'));
          return;
        }
        const range = /^(\S+)-(\S+)$/.exec(first);
        if (!range) throw new CommandError(ctx.t('relay.quiet.notRange', { value: clip(first) }));
        const timeZone = second ?? relay.defaultTimeZone;
        try {
          parseClock(range[1]!);
          parseClock(range[2]!);
          assertTimeZone(timeZone);
        } catch (error) {
          throw new CommandError((error as Error).message);
        }
        if (parseClock(range[1]!) === parseClock(range[2]!)) throw new CommandError(ctx.t('relay.quiet.empty'));
        await relay.quiet.setWindow(user.name, { from: range[1]!, to: range[2]!, timeZone, critical: current?.critical ?? true });
        await ctx.reply(ctx.t('relay.quiet.set', { from: range[1]!, to: range[2]!, zone: timeZone }));
      },
    },
  ];
}

/** The commands above (status, sources, subscribe, unsubscribe, mute, quiet) as a plugin, applied by the relay with its context. */
export const relayCommandsPlugin: Plugin<RelayContext> = commandsPlugin('commands', relayCommands);
