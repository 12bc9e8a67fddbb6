import { clip, commandsPlugin, CommandError, formatDurationIn, type CommandContext, type CommandSpec, type Plugin, type User } from '@switchboard/core';
import { formatMatchers, isMatcherText, matchesAll, parseMatchers } from '../alerts/matchers.js';
import type { AlertActionResult } from '../alerts/Alerting.js';
import type { RelayContext } from '../RelayContext.js';
import { durationArg } from './args.js';
import { FeedDownRuleName } from '../routing/Route.js';

/** `#12`, `12` → 12. */
function alertId(ctx: CommandContext): number {
  const text = ctx.args[0] ?? '';
  if (text === '' && ctx.command.name === 'ack') return NaN;
  const match = /^#?(\d{1,9})$/.exec(text);
  if (!match) throw new CommandError(ctx.t('relay.alerts.notNumber', { value: clip(text), command: ctx.command.name }));
  return Number(match[1]);
}

async function reply(ctx: CommandContext, result: AlertActionResult, done: string): Promise<void> {
  if (!result.ok) throw new CommandError(result.reason);
  await ctx.reply(done);
}

/** The alert commands: alerts, ack, unack, resolve. */
export function alertCommands(relay: RelayContext): CommandSpec[] {
  const user = (ctx: CommandContext): User => ctx.caller.user!;
  return [
    {
      name: 'alerts',
      kind: 'get',
      minTier: 'user',
      description: 'Open alerts you may see: age, count, state, who acknowledged ("alerts history": the recently closed)',
      locales: { 'zh-CN': { aliases: ['告警'], description: '你可以查看的未关闭告警：时长、次数、状态、谁确认了（“告警 history”：最近关闭的）', usage: '[history]' } },
      usage: '[history]',
      run: async (ctx) => {
        const now = Date.now();
        if (ctx.args[0] !== undefined) {
          if (ctx.args[0].toLowerCase() !== 'history') throw new CommandError(ctx.t('relay.alerts.notShown', { value: clip(ctx.args[0]) }));
          const closed = relay.alerts
            .closed()
            .filter((a) => relay.alerting.canSee(user(ctx), a))
            .slice(0, 10);
          if (closed.length === 0) {
            await ctx.reply(ctx.t('relay.alerts.noneClosed'));
            return;
          }
          const lines = closed.map((a) => {
            const resolvedAt = a.resolvedAt ?? a.lastSeenAt;
            return ctx.t('relay.alerts.closedLine', {
              id: a.id,
              severity: a.severity,
              device: `${a.source}/${a.device}`,
              text: a.text,
              ago: formatDurationIn(ctx.locale, now - resolvedAt),
              by: a.resolvedBy ?? ctx.t('relay.alerts.theFeed'),
              open: formatDurationIn(ctx.locale, resolvedAt - a.openedAt),
              acked: a.ackedBy ? ctx.t('relay.alerts.closedAcked', { user: a.ackedBy }) : '',
            });
          });
          await ctx.reply(lines.join('\n'));
          return;
        }
        const open = relay.alerts.open().filter((a) => relay.alerting.canSee(user(ctx), a));
        if (open.length === 0) {
          await ctx.reply(ctx.t('relay.alerts.none'));
          return;
        }
        const lines = open.map((a) => {
          const state = a.status === 'acknowledged' ? ctx.t('relay.alerts.ackedBy', { user: a.ackedBy ?? '' }) : ctx.t('relay.alerts.unacked');
          return ctx.t('relay.alerts.line', { id: a.id, severity: a.severity, device: `${a.source}/${a.device}`, text: a.text, age: formatDurationIn(ctx.locale, now - a.openedAt), count: a.count, state });
        });
        await ctx.reply(lines.join('\n'));
      },
    },
    {
      name: 'alert',
      kind: 'get',
      minTier: 'user',
      description: 'One alert and its timeline: opened, paged whom, escalated, acknowledged, resolved',
      locales: { 'zh-CN': { aliases: ['告警详情'], description: '一条告警及其时间线：打开、通知了谁、升级、确认、关闭', usage: '<#编号>' } },
      usage: '#id',
      minArgs: 1,
      run: async (ctx) => {
        const id = alertId(ctx);
        const alert = relay.alerts.get(id);
        if (!alert || !relay.alerting.canSee(user(ctx), alert)) throw new CommandError(ctx.t('relay.alerts.noSuch', { id }));
        const state = alert.status === 'acknowledged' ? ctx.t('relay.alerts.ackedBy', { user: alert.ackedBy ?? '' }) : ctx.t(`relay.alerts.status.${alert.status}`);
        const head = ctx.t('relay.alerts.head', { id: alert.id, severity: alert.severity, device: `${alert.source}/${alert.device}`, text: alert.text, state, count: alert.count });
        const events = (alert.timeline ?? [{ at: alert.openedAt, what: 'opened' }]).map((e) => {
          const params = e.params && 'ms' in e.params ? { ...e.params, duration: formatDurationIn(ctx.locale, Number(e.params.ms)) } : e.params;
          return `+${formatDurationIn(ctx.locale, e.at - alert.openedAt)} ${e.key ? ctx.t(e.key, params) : e.what}`;
        });
        await ctx.reply([head, ...events].join('\n'));
      },
    },
    {
      name: 'oncall',
      kind: 'get',
      minTier: 'admin',
      description: 'Who each rule would page now, and who then, quiet hours and mutes considered',
      locales: { 'zh-CN': { aliases: ['值班'], description: '每条规则现在会通知谁、之后通知谁（已考虑免打扰和静音）' } },
      run: async (ctx) => {
        const now = Date.now();
        const notifier = ctx.services.notifier;
        const describe = (users: readonly User[], critical: boolean): string => {
          if (users.length === 0) return 'nobody';
          return users
            .map((u) => {
              if (u.mutedUntil !== undefined && u.mutedUntil > now) return ctx.t('relay.oncall.muted', { user: u.name, duration: formatDurationIn(ctx.locale, u.mutedUntil - now) });
              if (notifier && notifier.route(u).send.length === 0) return ctx.t('relay.oncall.unreachable', { user: u.name });
              if (relay.quiet.holds(u.name, critical, now)) return ctx.t('relay.oncall.quietHeld', { user: u.name });
              if (relay.quiet.holds(u.name, false, now)) return ctx.t('relay.oncall.quietCritical', { user: u.name });
              return u.name;
            })
            .join(', ');
        };
        const lines: string[] = [];
        relay.router.list().forEach((route, i) => {
          if (route.name === FeedDownRuleName) return;
          const label = route.name ?? ctx.t('relay.oncall.rule', { n: i });
          const match = Object.entries(route.match).map(([k, v]) => `${k}=${String(v)}`).join(' ') || ctx.t('relay.oncall.everything');
          const critical = route.alert?.severity === 'critical' || route.match.severity === 'critical';
          const first = relay.router.usersFor(route.notify);
          let line = ctx.t('relay.oncall.line', { rule: label, match, who: describe(first, critical), followers: route.subscribers ? ctx.t('relay.oncall.followers', { tier: route.subscribers }) : '' });
          let after = 0;
          for (const step of route.alert?.escalate ?? []) {
            after += step.after;
            const who = step.notify.tier ? ctx.t('relay.oncall.tier', { tier: step.notify.tier }) : ctx.t('relay.oncall.named');
            line += ctx.t('relay.oncall.step', { after: formatDurationIn(ctx.locale, after), who, users: describe(relay.router.usersFor(step.notify), critical) });
          }
          lines.push(line);
        });
        await ctx.reply(lines.length > 0 ? lines.join('\n') : ctx.t('relay.oncall.none'));
      },
    },
    {
      name: 'snooze',
      kind: 'control',
      minTier: 'user',
      description: 'Pause an alert you may see: no page, reminder or escalation until it ends',
      locales: { 'zh-CN': { aliases: ['暂缓'], description: '暂停一条告警：结束前不通知、不提醒、不升级', usage: '<#编号> [时长]' } },
      usage: '#id <duration>',
      minArgs: 2,
      run: async (ctx) => {
        const id = alertId(ctx);
        const ms = durationArg(ctx.args[1]!, 60_000, 7 * 86_400_000, ctx.t('relay.snooze.range'));
        await reply(ctx, await relay.alerting.snooze(user(ctx), id, ms), ctx.t('relay.alerts.snoozed', { id, duration: formatDurationIn(ctx.locale, ms) }));
      },
    },
    {
      name: 'ack',
      kind: 'control',
      minTier: 'user',
      description: 'Take an alert (the latest one sent to you when no number is given)',
      locales: { 'zh-CN': { aliases: ['确认'], description: '接手一条告警（不带编号时为最近发给你的那条）', usage: '[#编号]' } },
      usage: '[#id]',
      run: async (ctx) => {
        let id = alertId(ctx);
        // A reply to the bot's page ("ack" quoting it) takes the alert the page is about.
        const quoted = Number.isNaN(id) ? /#(\d{1,9})\b/.exec(ctx.message.quoted?.text ?? '') : null;
        if (quoted) id = Number(quoted[1]);
        if (Number.isNaN(id)) {
          const mine = relay.alerts.open().filter((a) => a.status === 'firing' && a.notified.includes(user(ctx).name));
          if (mine.length === 0) throw new CommandError(ctx.t('relay.alerts.noneSent'));
          id = mine[mine.length - 1]!.id;
        }
        await reply(ctx, await relay.alerting.ack(user(ctx), id), ctx.t('relay.alerts.acked', { id }));
      },
    },
    {
      name: 'unack',
      kind: 'control',
      minTier: 'user',
      description: 'Hand an acknowledged alert back; escalation resumes',
      locales: { 'zh-CN': { aliases: ['取消确认'], description: '交回已确认的告警；升级继续', usage: '<#编号>' } },
      usage: '#id',
      minArgs: 1,
      run: async (ctx) => {
        const id = alertId(ctx);
        await reply(ctx, await relay.alerting.unack(user(ctx), id), ctx.t('relay.alerts.unackedAgain', { id }));
      },
    },
    {
      name: 'resolve',
      kind: 'control',
      minTier: 'admin',
      description: 'Close an alert by hand (for feeds that never send a resolve)',
      locales: { 'zh-CN': { aliases: ['解决'], description: '手动关闭告警（用于从不发送恢复的数据源）', usage: '<#编号>' } },
      usage: '#id',
      minArgs: 1,
      run: async (ctx) => {
        const id = alertId(ctx);
        await reply(ctx, await relay.alerting.resolve(user(ctx), id), ctx.t('relay.alerts.resolved', { id }));
      },
    },
    {
      name: 'silence',
      kind: 'control',
      minTier: 'admin',
      description: 'Page nobody about alerts matching all matchers for a while',
      locales: { 'zh-CN': { aliases: ['屏蔽'], description: '一段时间内不为匹配所有条件的告警通知任何人', usage: '<字段=值,...> <时长> [原因]' } },
      usage: '<field=value,...> <duration> [reason]',
      minArgs: 2,
      run: async (ctx) => {
        const matcherArgs: string[] = [];
        let i = 0;
        while (i < ctx.args.length && isMatcherText(ctx.args[i]!)) matcherArgs.push(ctx.args[i++]!);
        const durationText = ctx.args[i];
        if (matcherArgs.length === 0) throw new CommandError(ctx.t('relay.silence.notMatcher', { value: clip(ctx.args[0] ?? '') }));
        if (durationText === undefined) throw new CommandError(ctx.t('relay.silence.howLong'));
        let matchers;
        try {
          matchers = parseMatchers(matcherArgs);
        } catch (error) {
          throw new CommandError((error as Error).message);
        }
        const ms = durationArg(durationText, 1000, 30 * 86_400_000, ctx.t('relay.silence.range'));
        const reason = ctx.args.slice(i + 1).join(' ');
        const silence = await relay.silences.add({ matchers, createdBy: user(ctx).name, createdAt: Date.now(), endsAt: Date.now() + ms, reason });
        relay.alerting.schedule();
        await ctx.reply(ctx.t('relay.silence.set', { id: silence.id, matchers: formatMatchers(matchers), duration: formatDurationIn(ctx.locale, ms), reason: reason ? ` (${reason})` : '' }));
      },
    },
    {
      name: 'silences',
      kind: 'get',
      minTier: 'admin',
      description: 'Silences in force that concern devices you may see',
      locales: { 'zh-CN': { aliases: ['屏蔽列表'], description: '生效中、涉及你可以查看的设备的屏蔽' } },
      run: async (ctx) => {
        const now = Date.now();
        const me = user(ctx);
        const devices = relay.states.list().filter((d) => relay.router.canSee(me, { ...d, event: false }));
        const visible = relay.silences
          .active(now)
          .filter((s) => s.createdBy === me.name || devices.some((d) => matchesAll(s.matchers, { ...d, event: false })));
        if (visible.length === 0) {
          await ctx.reply(ctx.t('relay.silence.none'));
          return;
        }
        await ctx.reply(
          visible
            .map((s) => ctx.t('relay.silence.line', { id: s.id, matchers: formatMatchers(s.matchers), left: formatDurationIn(ctx.locale, s.endsAt - now), by: s.createdBy, reason: s.reason ? `: ${s.reason}` : '' }))
            .join('\n'),
        );
      },
    },
    {
      name: 'unsilence',
      kind: 'control',
      minTier: 'admin',
      description: 'End a silence now',
      locales: { 'zh-CN': { aliases: ['解除屏蔽'], description: '立即结束一个屏蔽', usage: '<编号>' } },
      usage: '<id>',
      minArgs: 1,
      run: async (ctx) => {
        const id = Number(ctx.args[0]?.replace(/^#/, ''));
        const removed = Number.isInteger(id) ? await relay.silences.remove(id) : undefined;
        if (!removed) throw new CommandError(ctx.t('relay.silence.noSuch', { id: clip(ctx.args[0] ?? '') }));
        await ctx.reply(ctx.t('relay.silence.ended', { id }));
        await relay.alerting.sweep();
      },
    },
  ];
}

/** The commands above (alerts, alert, oncall, snooze, ack, unack, resolve, silence, silences, unsilence) as a plugin, applied by the relay with its context. */
export const alertCommandsPlugin: Plugin<RelayContext> = commandsPlugin('alert-commands', alertCommands);
