import { z } from 'zod';
import { DurationSchema, Locales, Tiers } from '@switchboard/core';
import { Severities } from '../Update.js';

const TargetSchema = z
  .object({
    tier: z.enum(Tiers).optional(),
    users: z.array(z.string()).default([]),
  })
  .strict();

/** The alert policy of a rule: what opens an alert and how it escalates while nobody acknowledges it. */
export const AlertPolicySchema = z
  .object({
    /** Updates at or above this severity open an alert (or count toward the open one). */
    severity: z.enum(Severities).default('warning'),
    /**
     * Steps taken while the alert stays unacknowledged, each `after` the previous one
     * (e.g. admins after 10m, root after 30m more).
     */
    escalate: z.array(z.object({ after: DurationSchema, notify: TargetSchema }).strict()).default([]),
    /** Run the escalation steps again this many times after the last one (PagerDuty allows 9). */
    repeat: z.number().int().min(0).max(9).default(0),
    /**
     * Wait this long before the first page, collecting the group's other new alerts into the same
     * message; an alert resolved meanwhile never pages (Alertmanager's group_wait).
     */
    groupWait: DurationSchema.default('30s'),
    /** Fields or labels whose values define a group (`source`, `topic`, `device`, `severity`, labels). */
    groupBy: z.array(z.string()).default(['source']),
    /** Remind everyone told while it stays firing and unacknowledged (Alertmanager's repeat_interval). */
    repeatInterval: DurationSchema.default('4h'),
  })
  .strict();

/** A parsed alert policy. */
export type AlertPolicy = z.output<typeof AlertPolicySchema>;

/** One routing rule, as written under `routes:` in the config. */
export const RouteSchema = z
  .object({
    /** Shown in logs and `sources`. */
    name: z.string().optional(),
    /** All given fields must match; globs (`*`, `?`) for source, topic and device. */
    match: z
      .object({
        source: z.string().optional(),
        topic: z.string().optional(),
        device: z.string().optional(),
        /** Minimum severity. */
        severity: z.enum(Severities).optional(),
      })
      .strict()
      .default({}),
    /** Who is told, whether subscribed or not: a tier (that tier and above) and/or named users. */
    notify: TargetSchema.default({}),
    /** Users of this tier and above may see it, and are told when subscribed to the device or topic. */
    subscribers: z.enum(Tiers).optional(),
    /**
     * Message text; `{{icon}} {{device}}: {{text}}` style placeholders. One for everyone, or one per
     * language (`{ en: …, zh-CN: … }`): a reader gets theirs, else English, else the first given.
     */
    template: z
      .union([
        z.string(),
        z
          .object(Object.fromEntries(Locales.map((l) => [l, z.string().optional()])) as Record<(typeof Locales)[number], z.ZodOptional<z.ZodString>>)
          .strict()
          .refine((t) => Object.values(t).some((v) => v !== undefined), 'give a template for at least one language (en, zh-CN)'),
      ])
      .optional(),
    /** Turn matching problems into alerts with a lifecycle (ack, escalate, resolve). */
    alert: AlertPolicySchema.optional(),
    /** Keep evaluating later rules after this one matched. */
    continue: z.boolean().default(false),
  })
  .strict();

/** A parsed route. */
export type Route = z.output<typeof RouteSchema>;

/** The name of the relay's built-in rule that pages admins about a feed that is down. */
export const FeedDownRuleName = '@feed-down';
