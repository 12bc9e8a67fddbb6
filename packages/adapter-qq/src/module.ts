import { defineAdapter } from '@switchboard/core';
import { QqConfigSchema } from './config.js';
import { QqAdapter } from './QqAdapter.js';

/** The QQ adapter as a config module (`adapters.qq`). */
export const qqModule = defineAdapter({
  name: 'qq',
  schema: QqConfigSchema,
  create: (config, env) => new QqAdapter({ config, logger: env.logger }),
  describe: (config) =>
    `qq app ${config.appId} over ${config.transport}${config.transport === 'webhook' ? ` on ${config.webhook.listen}${config.webhook.path}` : ''}, intents ${config.intents.join('|')}${config.activeMessages ? ', active messages on' : ''}`,
});
