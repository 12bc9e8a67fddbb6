import { definePlugin, type LoadedConfig } from '@switchboard/core';
import { z } from 'zod';
import { RelaySections, type RelayConfig } from './config.js';
import { Relay } from './Relay.js';
import { ActionsSchema } from './actions/schema.js';
import { actionIssues } from './actions/schema.js';
import { builtinActionKinds } from './actions/kinds/index.js';

/**
 * The relay's config: the `feeds`, `routes`, `relay` and `actions` sections of the config file.
 * Actions are checked against the feeds here (built-in kinds; plugins' kinds when the relay starts).
 */
export const RelayConfigSchema = z
  .object({
    feeds: RelaySections.feeds.default([]),
    routes: RelaySections.routes.default([]),
    relay: RelaySections.relay.default({}),
    actions: ActionsSchema.default([]),
  })
  .superRefine((config, ctx) => {
    for (const issue of actionIssues(config.actions, config.feeds, builtinActionKinds, false)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [...issue.path], message: issue.message });
  });

/** The relay as a plugin: applied when the config file has `feeds`, `routes` or `relay`. */
export const relayPlugin = definePlugin({
  name: 'relay',
  sections: ['feeds', 'routes', 'relay', 'actions'],
  config: RelayConfigSchema,
  async apply(ctx, config) {
    await new Relay({ ...config, logger: ctx.host.logger }).apply(ctx);
  },
  describe: (config) => `relay: ${config.feeds.length} feeds, ${config.routes.length} routes, ${config.actions.length} actions`,
});

/** The relay's part of a loaded config; undefined when the file has none. */
export function relayConfigOf(config: LoadedConfig): RelayConfig | undefined {
  return config.plugins.find((p) => p.plugin.name === relayPlugin.name && !p.path.startsWith('plugins.'))?.config as RelayConfig | undefined;
}
