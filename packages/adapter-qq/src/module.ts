import { definePlugin } from '@switchboard/core';
import { QqConfigSchema } from './config.js';
import { ClusterShards } from './cluster/ClusterShards.js';
import { QqAdapter } from './QqAdapter.js';

/** The QQ adapter as a plugin: `adapters.qq` in the config file is its config. */
export const qqPlugin = definePlugin({
  name: 'qq',
  config: QqConfigSchema,
  apply: (ctx, config) => void ctx.adapter(new QqAdapter({ config, logger: ctx.host.logger })),
  // Several instances on one store: each holds its share of the shards (or receives webhooks) for the active one.
  cluster: async (cluster, config, logger) => {
    const shards = new ClusterShards({ config, cluster, logger });
    await shards.start();
    return () => shards.stop();
  },
  describe: (config) =>
    `qq app ${config.appId} over ${config.transport}${config.transport === 'webhook' ? ` on ${config.webhook.listen}${config.webhook.path}` : ''}, intents ${config.intents.join('|')}${config.activeMessages ? ', active messages on' : ''}`,
});
