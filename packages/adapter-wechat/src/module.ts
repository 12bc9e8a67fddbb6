import { join } from 'node:path';
import { definePlugin } from '@switchboard/core';
import { WechatConfigSchema } from './config.js';
import { WechatAdapter } from './WechatAdapter.js';

/** The WeChat adapter as a plugin: `adapters.wechat` in the config file is its config. */
export const wechatPlugin = definePlugin({
  name: 'wechat',
  config: WechatConfigSchema,
  apply: (ctx, config) =>
    void ctx.adapter(new WechatAdapter({ config, sessionDir: join(ctx.host.dataDir, 'wechat'), logger: ctx.host.logger })),
  describe: (config) => `wechat via ${config.puppet}, session "${config.session}"${config.mentionOnly ? ', rooms: mentions only' : ''}`,
});
