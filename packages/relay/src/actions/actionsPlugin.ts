import { addressKey, CommandError, ConfigError, definedOnly, definePlugin, type ArgSpec, type CommandSpec, type Context, type Plugin } from '@switchboard/core';
import type { RelayContext } from '../RelayContext.js';
import type { AnyFeedConfig } from '../config.js';
import { ActionFailure, type ActionEnvironment, type ActionKind, type ActionPerformer, type ActionText, type Translate } from './ActionKind.js';
import { FeedDownError } from '../sources/FeedSource.js';
import { builtinActionKinds } from './kinds/index.js';
import { actionIssues, actionKindOf, type ActionConfig } from './schema.js';

/** What the actions plugin is applied with. */
export interface ActionsSetup {
  readonly relay: RelayContext;
  readonly actions: readonly ActionConfig[];
  readonly feeds: readonly AnyFeedConfig[];
}

/** Past the kind's own timeout, how long the dispatcher still waits before it abandons the run. */
const TimeoutSlackMs = 5000;

/**
 * The built-in action plugin: each `actions:` entry becomes a command (`ctx.command`) whose run is
 * its `do:` kind's work, over the feeds the relay runs. Every action refuses guests, is audited,
 * and goes through the dispatcher's safeguards: its arguments are checked before anything is
 * sent, then its cooldown, the caller's rate and a confirmation when it asks for one.
 */
export const actionsPlugin: Plugin<ActionsSetup> = definePlugin({
  name: 'actions',
  apply(ctx: Context, setup: ActionsSetup) {
    const { host } = ctx;
    for (const [name, kind] of Object.entries(builtinActionKinds)) if (!host.actionKinds.get(name)) ctx.action(name, kind);
    const kinds = host.actionKinds.toRecord() as Record<string, ActionKind<unknown>>;
    const issues = actionIssues(setup.actions, setup.feeds, kinds, true);
    if (issues.length > 0) throw new ConfigError(issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
    setup.actions.forEach((action, index) => {
      const [kindName, raw] = actionKindOf(action);
      const kind = kinds[kindName]!;
      const env: ActionEnvironment = {
        action: action.command,
        feed: (name) => setup.relay.sources.find((s) => s.name === name),
        configDir: host.configDir,
        logger: setup.relay.logger.child({ action: action.command }),
      };
      let performer: ActionPerformer;
      try {
        performer = kind.prepare(kind.schema ? kind.schema.parse(raw ?? {}) : raw, env);
      } catch (error) {
        throw new ConfigError([{ path: `actions.${index}.do.${kindName}`, message: (error as Error).message }]);
      }
      ctx.command(actionCommand(action, kindName, performer));
    });
  },
});

function actionCommand(action: ActionConfig, kindName: string, performer: ActionPerformer): CommandSpec {
  return {
    name: action.command,
    aliases: action.aliases,
    kind: action.kind,
    minTier: action.minTier,
    description: (typeof action.description === 'string' ? action.description : (action.description?.en ?? action.description?.['zh-CN'])) ?? `Run the ${action.command} action (${kindName})`,
    ...(typeof action.description === 'object' && action.description['zh-CN'] !== undefined ? { locales: { 'zh-CN': { description: action.description['zh-CN'] } } } : {}),
    ...(action.usage !== undefined ? { usage: action.usage } : {}),
    args: action.args.map((arg) => definedOnly(arg) as ArgSpec),
    confirm: action.confirm,
    ...(action.cooldown !== undefined ? { cooldownMs: action.cooldown } : {}),
    ...(action.rate !== undefined ? { rate: { limit: action.rate.limit, perMs: action.rate.per } } : {}),
    ...(performer.timeoutMs !== undefined ? { timeoutMs: performer.timeoutMs + TimeoutSlackMs } : {}),
    audit: true,
    auditStart: true,
    guests: false,
    async run(ctx) {
      const vars = { ...ctx.values, caller: ctx.caller.name, chat: addressKey(ctx.message.chat), now: new Date().toISOString() };
      const t: Translate = (key, params) => ctx.t(key, params);
      const say = (text: ActionText): string => (typeof text === 'string' ? text : text(t));
      let result: ActionText;
      try {
        result = await performer.perform({ vars, signal: ctx.signal });
      } catch (error) {
        // A feed that is down, a value refused where it would land, the far end's refusal: all told as they are.
        const reason =
          error instanceof ActionFailure ? say(error.text)
          : error instanceof FeedDownError ? ctx.t('actions.feedDown', { feed: error.feed, state: error.state === 'idle' ? ctx.t('actions.notStarted') : error.state, detail: error.detail ? ` (${error.detail})` : '' })
          : (error as Error).message;
        throw new CommandError(ctx.t('actions.failed', { command: action.command, reason }));
      }
      await ctx.reply(ctx.t('actions.done', { command: action.command, result: say(result) }));
    },
  };
}
