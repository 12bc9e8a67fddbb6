import { z } from 'zod';
import { DurationSchema } from '@switchboard/core';
import { RouteSchema } from './routing/Route.js';
import { Severities } from './Update.js';
import { FrameMappingSchema } from './sources/FrameMapping.js';
import { parseMatchers } from './alerts/matchers.js';
import type { ActionConfig } from './actions/schema.js';

const SocketSchema = {
  /** WebSocket ping interval; a connection silent for twice this long is dropped and reopened. */
  ping: DurationSchema.default('25s'),
  /** Reconnect backoff (full jitter) scale and cap. */
  backoff: z
    .object({ base: DurationSchema.default('1s'), max: DurationSchema.default('60s') })
    .strict()
    .default({}),
};

/** A frame matches when every path holds the value given (`{ type: auth_ok }`, `{ "data.status": 200 }`). */
const FrameMatcherSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).refine((m) => Object.keys(m).length > 0, 'give at least one path: value');

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/i, 'letters, digits, "_" or "-" (up to 32)');

/** One `feeds:` entry of a built-in type. */
export const BuiltinFeedSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('websocket'),
      name,
      url: z.string().regex(/^wss?:\/\//, 'must be a ws:// or wss:// URL'),
      headers: z.record(z.string(), z.string()).optional(),
      /** Frames sent once connected: auth, subscribe… */
      onOpen: z.array(z.unknown()).default([]),
      /**
       * The feed is connected only once a frame matching this arrives (e.g. `{ type: auth_ok }`),
       * within `readyTimeout`; until then it counts as down, so a feed that keeps refusing auth is
       * reported like any other feed that is down.
       */
      ready: FrameMatcherSchema.optional(),
      /** A frame matching this before ready (e.g. `{ type: auth_invalid }`) drops the connection at once. */
      refused: FrameMatcherSchema.optional(),
      readyTimeout: DurationSchema.default('10s'),
      /** Control frames (heartbeats, acks) to skip without counting them as malformed. */
      ignore: z.array(FrameMatcherSchema).default([]),
      mapping: FrameMappingSchema.default({}),
      ...SocketSchema,
    })
    .strict(),
  z
    .object({
      type: z.literal('homeassistant'),
      name,
      url: z.string().regex(/^wss?:\/\//, 'must be a ws:// or wss:// URL (…/api/websocket)'),
      token: z.string().min(1),
      entities: z.array(z.string()).default([]),
      severities: z.record(z.string(), z.record(z.string(), z.enum(Severities))).default({}),
      ...SocketSchema,
    })
    .strict(),
  z
    .object({
      type: z.literal('mqtt'),
      name,
      url: z.string().regex(/^(wss?|mqtts?):\/\//, 'must be a ws://, wss://, mqtt:// or mqtts:// URL'),
      username: z.string().optional(),
      password: z.string().optional(),
      clientId: z.string().max(23, 'MQTT 3.1.1 brokers may refuse client ids over 23 characters').optional(),
      persistentSession: z.boolean().default(false),
      keepalive: DurationSchema.default('30s'),
      backoff: SocketSchema.backoff,
      subscriptions: z
        .array(
          z
            .object({
              filter: z.string().min(1),
              mapping: FrameMappingSchema.default({ device: 'topic', state: 'payload' }),
            })
            .strict(),
        )
        .min(1),
    })
    .strict(),
  z
    .object({
      type: z.literal('webhook'),
      name,
      listen: z.string().default('127.0.0.1:8780'),
      path: z.string().regex(/^\//, 'must start with /').optional(),
      token: z.string().min(16, 'use a token of at least 16 characters'),
      format: z.enum(['generic', 'alertmanager', 'easycon']).default('generic'),
      /** Accept `?token=` on POST as well as GET (tokens in URLs end up in proxy logs). */
      queryToken: z.boolean().default(false),
      mapping: FrameMappingSchema.default({}),
    })
    .strict(),
]);

/** A parsed feed entry of a built-in type. */
export type FeedConfig = z.output<typeof BuiltinFeedSchema>;

/** The feed types the relay brings. */
export const BuiltinFeedTypes: readonly string[] = BuiltinFeedSchema.options.map((o) => o.shape.type.value);

/**
 * A `feeds:` entry of a type a plugin adds with `ctx.feed`: its other keys are checked by that
 * type's schema when the relay starts.
 */
export const PluginFeedSchema = z
  .object({ type: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a feed type name'), name })
  .passthrough()
  .refine((feed) => !BuiltinFeedTypes.includes(feed.type), { message: 'a built-in feed type', path: ['type'] });

/** A parsed feed entry of a plugin's type. */
export type PluginFeedConfig = z.output<typeof PluginFeedSchema>;

/** One entry of `feeds:`: a built-in type, or a type a plugin adds. */
export const FeedSchema = z.union([BuiltinFeedSchema, PluginFeedSchema]);

/** A parsed feed entry. */
export type AnyFeedConfig = FeedConfig | PluginFeedConfig;

/** The config sections the relay adds: `feeds`, `routes` and `relay`. */
export const RelaySections = {
  feeds: z.array(FeedSchema).superRefine((feeds, ctx) => {
    const seen = new Set<string>();
    feeds.forEach((feed, i) => {
      if (seen.has(feed.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'name'], message: `duplicate feed name "${feed.name}"` });
      seen.add(feed.name);
    });
  }),
  routes: z.array(RouteSchema).superRefine((routes, ctx) => {
    const names = new Set<string>();
    routes.forEach((route, i) => {
      // Persisted alerts refer to their rule by name across restarts.
      if (route.alert && !route.name) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'name'], message: 'a rule with an alert policy needs a name' });
      if (route.name !== undefined) {
        if (names.has(route.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'name'], message: `duplicate rule name "${route.name}"` });
        names.add(route.name);
      }
    });
  }),
  relay: z
    .object({
      /** Default message text for routes without their own. */
      template: z.string().default('{{icon}} {{device}}: {{text}}'),
      /** Text when a device returns to normal. */
      resolvedTemplate: z.string().default('✅ {{device}}: {{text}}'),
      /**
       * Longest notification, in characters: a feed's text, and every message the relay sends, is cut
       * there with an ellipsis (a 256 KiB summary would otherwise become a hundred chat messages).
       */
      maxText: z.number().int().min(40).max(20_000).default(1000),
      /**
       * Flap damping, on every rule: a device may change this many times within the window and each
       * change is told; past that, one summary per window ("door changed 47 times in 1m, now ok"),
       * and an alert opened meanwhile waits for it unpaged. `false` turns it off.
       */
      flap: z
        .union([z.literal(false), z.object({ changes: z.number().int().min(1).max(1000).default(5), window: DurationSchema.default('1m') }).strict()])
        .default({}),
      /**
       * Inhibition by another alert (Alertmanager's inhibit_rules): while an open alert matches
       * `source`, alerts matching `target` that have the same values of every `equal` field or label
       * page nobody (e.g. a rack's power alert holds its servers' temperature alerts).
       */
      inhibit: z
        .array(
          z
            .object({
              source: z.array(z.string()).min(1),
              target: z.array(z.string()).min(1),
              equal: z.array(z.string()).default([]),
            })
            .strict()
            .superRefine((rule, ctx) => {
              for (const side of ['source', 'target'] as const) {
                try {
                  parseMatchers(rule[side]);
                } catch (error) {
                  ctx.addIssue({ code: z.ZodIssueCode.custom, path: [side], message: (error as Error).message });
                }
              }
            }),
        )
        .default([]),
      /** Random delay before each feed's first connection, so a restart does not hit every feed at once. */
      startJitter: DurationSchema.default('2s'),
      /** A feed disconnected this long raises one "feed down" alert to admins and holds its devices' alerts. */
      sourceDownAfter: DurationSchema.default('1m'),
      /** Time zone for quiet hours set without one; the machine's zone when absent. */
      timeZone: z
        .string()
        .refine((tz) => {
          try {
            new Intl.DateTimeFormat('en-GB', { timeZone: tz });
            return true;
          } catch {
            return false;
          }
        }, 'not a time zone; use an IANA name such as Asia/Shanghai')
        .optional(),
    })
    .strict(),
} as const;

/** The relay's part of a loaded config. */
export interface RelayConfig {
  readonly feeds: readonly AnyFeedConfig[];
  /** `actions:` entries; none when absent. */
  readonly actions?: readonly ActionConfig[];
  readonly routes: readonly z.output<typeof RouteSchema>[];
  readonly relay: z.output<(typeof RelaySections)['relay']>;
}
