import { CommandError, formatDuration, type CommandContext, type CommandSpec, type User } from '@switchboard/core';
import type { AlertActionResult } from '../alerts/Alerting.js';
import type { Relay } from '../Relay.js';

/** `#12`, `12` → 12. */
function alertId(ctx: CommandContext): number {
  const text = ctx.args[0] ?? '';
  const match = /^#?(\d{1,9})$/.exec(text);
  if (!match) throw new CommandError(`"${text}" is not an alert number; use e.g. ${ctx.command.name} #12`);
  return Number(match[1]);
}

async function reply(ctx: CommandContext, result: AlertActionResult, done: string): Promise<void> {
  if (!result.ok) throw new CommandError(result.reason);
  await ctx.reply(done);
}

/** The alert commands: alerts, ack, unack, resolve. */
export function alertCommands(relay: Relay): CommandSpec[] {
  const user = (ctx: CommandContext): User => ctx.caller.user!;
  return [
    {
      name: 'alerts',
      kind: 'get',
      minTier: 'user',
      description: 'Open alerts you may see: age, count, state, who acknowledged',
      run: async (ctx) => {
        const now = Date.now();
        const open = relay.alerts.open().filter((a) => relay.alerting.canSee(user(ctx), a));
        if (open.length === 0) {
          await ctx.reply('No open alerts.');
          return;
        }
        const lines = open.map((a) => {
          const state = a.status === 'acknowledged' ? `acked by ${a.ackedBy}` : 'unacknowledged';
          return `#${a.id} ${a.severity} ${a.source}/${a.device}: ${a.text} — ${formatDuration(now - a.openedAt)} old, ×${a.count}, ${state}`;
        });
        await ctx.reply(lines.join('\n'));
      },
    },
    {
      name: 'ack',
      kind: 'control',
      minTier: 'user',
      description: 'Take an alert: stops its escalation and tells the others',
      usage: '#id',
      minArgs: 1,
      run: async (ctx) => {
        const id = alertId(ctx);
        await reply(ctx, await relay.alerting.ack(user(ctx), id), `You acknowledged #${id}.`);
      },
    },
    {
      name: 'unack',
      kind: 'control',
      minTier: 'user',
      description: 'Hand an acknowledged alert back; escalation resumes',
      usage: '#id',
      minArgs: 1,
      run: async (ctx) => {
        const id = alertId(ctx);
        await reply(ctx, await relay.alerting.unack(user(ctx), id), `#${id} is unacknowledged again.`);
      },
    },
    {
      name: 'resolve',
      kind: 'control',
      minTier: 'admin',
      description: 'Close an alert by hand (for feeds that never send a resolve)',
      usage: '#id',
      minArgs: 1,
      run: async (ctx) => {
        const id = alertId(ctx);
        await reply(ctx, await relay.alerting.resolve(user(ctx), id), `#${id} is resolved.`);
      },
    },
  ];
}
