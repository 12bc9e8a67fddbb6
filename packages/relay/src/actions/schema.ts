import { DurationSchema, TierSchema } from '@switchboard/core';
import { z } from 'zod';
import type { ActionKind } from './ActionKind.js';
import { undeclaredNames } from './template.js';

/** One declared argument of an action (see the core's `ArgSpec`). */
const ArgSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'a lower-case word: a letter, then letters, digits or "_"'),
    enum: z
      .array(z.union([z.string().min(1), z.number()]).transform(String))
      .min(1)
      .optional(),
    pattern: z
      .string()
      .refine((p) => {
        try {
          new RegExp(p, 'u');
          return true;
        } catch {
          return false;
        }
      }, 'not a regular expression')
      .optional(),
    type: z.enum(['string', 'number', 'integer']).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    optional: z.boolean().optional(),
    rest: z.boolean().optional(),
    secret: z.boolean().optional(),
    maxLength: z.number().int().min(1).max(4000).optional(),
  })
  .strict()
  .refine((a) => (a.min === undefined && a.max === undefined) || a.type === 'number' || a.type === 'integer', 'min and max need type number or integer');

/** One `actions:` entry: a chat command bound to what it does. */
export const ActionSchema = z
  .object({
    command: z.string().regex(/^[\p{L}\p{N}_-]{1,32}$/u, 'a command name: letters, digits, "_" or "-"'),
    aliases: z.array(z.string().min(1)).default([]),
    /** One line for `help`: one for everyone, or one per language (`{ en: …, zh-CN: … }`). */
    description: z.union([z.string().min(1), z.object({ en: z.string().min(1).optional(), 'zh-CN': z.string().min(1).optional() }).strict()]).optional(),
    usage: z.string().optional(),
    /** Least tier that may run it. */
    minTier: TierSchema.default('admin'),
    /** `set`: `setpoint:25` and `set setpoint 25` both run it. */
    kind: z.enum(['set', 'control']).default('control'),
    args: z.array(ArgSchema).default([]),
    confirm: z.boolean().default(false),
    /** After a run, nobody runs it again for this long. */
    cooldown: DurationSchema.optional(),
    /** Runs one user may start per `per`. */
    rate: z.object({ limit: z.number().int().min(1), per: DurationSchema }).strict().optional(),
    do: z
      .record(z.string(), z.unknown())
      .refine((d) => Object.keys(d).length === 1, 'give exactly one of homeassistant, mqtt, http, exec, websocket (or a kind a plugin adds)'),
  })
  .strict();

/** A parsed `actions:` entry. */
export type ActionConfig = z.output<typeof ActionSchema>;

/** The `actions:` section. */
export const ActionsSchema = z.array(ActionSchema).superRefine((actions, ctx) => {
  const seen = new Map<string, number>();
  actions.forEach((action, i) => {
    for (const name of [action.command, ...action.aliases]) {
      const earlier = seen.get(name.toLowerCase());
      if (earlier !== undefined && earlier !== i) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'command'], message: `"${name}" is also actions.${earlier}` });
      seen.set(name.toLowerCase(), i);
    }
  });
});

/** A problem with an action, by its path in the config file. */
export interface ActionIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** The kind an action's `do:` names, and its config. */
export function actionKindOf(action: ActionConfig): [string, unknown] {
  return Object.entries(action.do)[0]!;
}

/**
 * Check every action against the feeds and the kinds known: the kind exists and its schema takes
 * the config; a feed it names exists and is of the kind's type; its templates use only declared
 * arguments and `caller`, `chat`, `now`. Kinds not in `kinds` are reported only when `complete`
 * (at load, plugins' kinds are not known yet). `switchboard check`, the config and the relay's start share it.
 */
export function actionIssues(actions: readonly ActionConfig[], feeds: readonly { readonly name: string; readonly type: string }[], kinds: Readonly<Record<string, ActionKind<unknown>>>, complete: boolean): ActionIssue[] {
  const issues: ActionIssue[] = [];
  actions.forEach((action, i) => {
    const [kindName, config] = actionKindOf(action);
    const at = ['actions', i, 'do', kindName];
    const issue = (path: readonly PropertyKey[], message: string): void => void issues.push({ path: [...at, ...path.map((p) => (typeof p === 'number' ? p : String(p)))], message });
    const kind = kinds[kindName];
    if (!kind) {
      if (complete) issue([], `no action kind "${kindName}" (known: ${Object.keys(kinds).join(', ')}); a plugin adds one with ctx.action`);
      return;
    }
    if (kind.schema) {
      const parsed = kind.schema.safeParse(config ?? {});
      if (!parsed.success) for (const zi of parsed.error.issues) issue(zi.path, zi.message);
    }
    const feedName = config && typeof config === 'object' ? (config as { feed?: unknown }).feed : undefined;
    if (kind.feedKind && typeof feedName === 'string') {
      const feed = feeds.find((f) => f.name === feedName);
      if (!feed) issue(['feed'], `no feed named "${feedName}" (feeds: ${feeds.map((f) => f.name).join(', ') || 'none'})`);
      else if (feed.type !== kind.feedKind) issue(['feed'], `feed "${feedName}" is a ${feed.type} feed; ${kindName} actions need a ${kind.feedKind} feed`);
    }
    const undeclared = undeclaredNames(config, action.args.map((a) => a.name));
    if (undeclared.length > 0) issue([], `templates use ${undeclared.map((n) => `{{${n}}}`).join(', ')}, which is not a declared argument (args: ${action.args.map((a) => a.name).join(', ') || 'none'}) nor caller, chat or now`);
  });
  return issues;
}
