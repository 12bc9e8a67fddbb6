export * from './config.js';
export * from './WechatAdapter.js';
export * from './module.js';
export * from './qr.js';
export { wechatPlugin as default } from './module.js';
