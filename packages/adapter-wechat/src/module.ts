import { join } from 'node:path';
import { defineAdapter } from '@switchboard/core';
import { WechatConfigSchema } from './config.js';
import { WechatAdapter } from './WechatAdapter.js';

/** The WeChat adapter as a config module (`adapters.wechat`). */
export const wechatModule = defineAdapter({
  name: 'wechat',
  schema: WechatConfigSchema,
  create: (config, env) => new WechatAdapter({ config, sessionDir: join(env.dataDir, 'wechat'), logger: env.logger }),
  describe: (config) => `wechat via ${config.puppet}, session "${config.session}"${config.mentionOnly ? ', rooms: mentions only' : ''}`,
});
