import { definePlugin } from '@switchboard/core';
import { QqConfigSchema } from './config.js';
import { QqAdapter } from './QqAdapter.js';

/** The QQ adapter as a plugin: `adapters.qq` in the config file is its config. */
export const qqPlugin = definePlugin({
  name: 'qq',
  config: QqConfigSchema,
  apply: (ctx, config) => void ctx.adapter(new QqAdapter({ config, logger: ctx.host.logger })),
  describe: (config) =>
    `qq app ${config.appId} over ${config.transport}${config.transport === 'webhook' ? ` on ${config.webhook.listen}${config.webhook.path}` : ''}, intents ${config.intents.join('|')}${config.activeMessages ? ', active messages on' : ''}`,
});
