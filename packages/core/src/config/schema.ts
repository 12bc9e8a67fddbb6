import { z } from 'zod';
import { Locales } from '../i18n/Locale.js';
import { parseIdentity } from '../domain/address.js';
import { Tiers } from '../domain/tiers.js';
import { parseDuration } from '../util/duration.js';
import { nameKey, NamePattern, NameRule, nameSkeleton, normalName } from '../users/names.js';

/** A duration as people write it (`30s`, `5m`, `1h30m`) or milliseconds; parsed to milliseconds. */
export const DurationSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
    return z.NEVER;
  }
});

export const TierSchema = z.enum(Tiers);

/** `platform:id`, or `{ platform, id }`. */
export const IdentitySchema = z.union([
  z.string().transform((text, ctx) => {
    try {
      return parseIdentity(text);
    } catch (error) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
      return z.NEVER;
    }
  }),
  z.object({ platform: z.string().min(1), id: z.string().min(1) }).strict(),
]);

const UserSchema = z
  .object({
    name: z.string().transform(normalName).pipe(z.string().regex(NamePattern, NameRule)),
    tier: TierSchema,
    identities: z.array(IdentitySchema).default([]),
    subscriptions: z.array(z.string().min(1)).default([]),
  })
  .strict();

/** One `plugins:` entry. */
export const PluginEntrySchema = z.union([
  z.string().min(1),
  z.object({ use: z.string().min(1), config: z.unknown().optional() }).strict(),
]);

const LogLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** The core part of the config file. Adapter sections are checked by their modules. */
export const CoreConfigSchema = z
  .object({
    /** Where the directory and the outbox journal live; relative to the config file. */
    dataDir: z.string().min(1).default('./data'),
    logLevel: LogLevelSchema.default('info'),
    /** The language of people who chose none with `lang`. */
    locale: z.enum(Locales).default('en'),
    /** The audit log (`audit.jsonl` in the data directory): rotated past maxBytes, keeping `keep` older files. */
    audit: z
      .object({
        maxBytes: z.number().int().min(1024).default(10 * 1024 * 1024),
        keep: z.number().int().min(0).max(1000).default(5),
      })
      .strict()
      .default({}),
    /**
     * Where the directory, the outbox, alert state and plugins' documents are kept: `{ type: file }`
     * (the default, in `dataDir`) or a store module's type (`redis`), validated by that module.
     */
    store: z.object({ type: z.string().min(1) }).passthrough().default({ type: 'file' }),
    /** Log file; logs go to stderr when absent. Relative to the config file. */
    logFile: z.string().min(1).optional(),
    /** Extra command prefix, e.g. `!`; `/` always works. */
    prefix: z.string().min(1).max(4).optional(),
    guest: z
      .object({
        enabled: z.boolean().default(false),
        commands: z.array(z.string()).default(['help', 'whoami']),
      })
      .strict()
      .default({}),
    dispatcher: z
      .object({
        concurrency: z.number().int().min(1).max(10_000).default(64),
        timeout: DurationSchema.default('30s'),
        /** Longest message run, in characters. */
        maxInput: z.number().int().min(16).max(1_000_000).default(4000),
        /** Messages of one sender waiting at once. */
        maxQueued: z.number().int().min(1).max(100_000).default(256),
        /** Commands a second per sender (tier user and guests; admins and root exempt); 0: no limit. */
        userRate: z.number().min(0).max(10_000).default(1),
        /** Commands a sender may send at once above userRate. */
        userBurst: z.number().int().min(1).max(100_000).default(10),
      })
      .strict()
      .default({}),
    outbox: z
      .object({
        retryBase: DurationSchema.default('1s'),
        retryMax: DurationSchema.default('5m'),
        giveUpAfter: DurationSchema.default('24h'),
        drainTimeout: DurationSchema.default('10s'),
      })
      .strict()
      .default({}),
    /** Where people's notifications go unless they choose (`notify` in chat), and the fallback of critical pages. */
    notifications: z
      .object({
        default: z.string().min(1).default('last'),
        fallbackAfter: DurationSchema.default('5m'),
      })
      .strict()
      .default({}),
    adapters: z.record(z.string(), z.unknown()).refine((a) => Object.keys(a).length > 0, 'at least one adapter is required'),
    users: z.array(UserSchema).default([]),
    /** Plugins to load: a module specifier (package name, or a path relative to this file), or { use, config }. */
    plugins: z.array(PluginEntrySchema).default([]),
    commands: z
      .record(
        z.string(),
        z.object({ minTier: TierSchema.optional(), disabled: z.boolean().optional() }).strict(),
      )
      .default({}),
  })
  .superRefine((config, ctx) => {
    const choice = config.notifications.default;
    if (choice !== 'last' && choice !== 'all' && !(choice in config.adapters)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['notifications', 'default'],
        message: `must be last, all or a configured adapter (${Object.keys(config.adapters).join(', ')}); got "${choice}"`,
      });
    }
    const names = new Map<string, number>();
    const skeletons = new Map<string, number>();
    const identities = new Map<string, string>();
    config.users.forEach((user, i) => {
      const key = nameKey(user.name);
      if (names.has(key)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['users', i, 'name'], message: `duplicate user name "${user.name}" (also users.${names.get(key)})` });
      } else if (skeletons.has(nameSkeleton(key))) {
        const other = skeletons.get(nameSkeleton(key))!;
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['users', i, 'name'], message: `"${user.name}" looks too much like users.${other} ("${config.users[other]!.name}")` });
      }
      names.set(key, i);
      skeletons.set(nameSkeleton(key), i);
      user.identities.forEach((identity, j) => {
        const id = `${identity.platform}:${identity.id}`;
        const owner = identities.get(id);
        if (owner !== undefined && owner !== user.name) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['users', i, 'identities', j], message: `${id} is already ${owner}'s identity` });
        }
        identities.set(id, user.name);
      });
    });
  });

/** The validated core config (adapter sections still raw). */
export type CoreConfig = z.output<typeof CoreConfigSchema>;
