import { z } from 'zod';
import { Tiers } from '@switchboard/core';
import { Severities } from '../Update.js';

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
    notify: z
      .object({
        tier: z.enum(Tiers).optional(),
        users: z.array(z.string()).default([]),
      })
      .strict()
      .default({}),
    /** Users of this tier and above may see it, and are told when subscribed to the device or topic. */
    subscribers: z.enum(Tiers).optional(),
    /** Message text; `{{icon}} {{device}}: {{text}}` style placeholders. */
    template: z.string().optional(),
    /** Keep evaluating later rules after this one matched. */
    continue: z.boolean().default(false),
  })
  .strict();

/** A parsed route. */
export type Route = z.output<typeof RouteSchema>;
