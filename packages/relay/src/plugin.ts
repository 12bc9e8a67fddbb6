import { definePlugin, type LoadedConfig } from '@switchboard/core';
import { z } from 'zod';
import { RelaySections, type RelayConfig } from './config.js';
import { Relay } from './Relay.js';

/** The relay's config: the `feeds`, `routes` and `relay` sections of the config file. */
export const RelayConfigSchema = z.object({
  feeds: RelaySections.feeds.default([]),
  routes: RelaySections.routes.default([]),
  relay: RelaySections.relay.default({}),
});

/** The relay as a plugin: applied when the config file has `feeds`, `routes` or `relay`. */
export const relayPlugin = definePlugin({
  name: 'relay',
  sections: ['feeds', 'routes', 'relay'],
  config: RelayConfigSchema,
  async apply(ctx, config) {
    await new Relay({ ...config, logger: ctx.host.logger }).apply(ctx);
  },
  describe: (config) => `relay: ${config.feeds.length} feeds, ${config.routes.length} routes`,
});

/** The relay's part of a loaded config; undefined when the file has none. */
export function relayConfigOf(config: LoadedConfig): RelayConfig | undefined {
  return config.plugins.find((p) => p.plugin.name === relayPlugin.name && !p.path.startsWith('plugins.'))?.config as RelayConfig | undefined;
}
