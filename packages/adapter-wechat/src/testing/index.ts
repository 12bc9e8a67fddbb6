// `@switchboard/adapter-wechat/testing`: WeChat on wechaty-puppet-mock, for tests.
export * from './mockWechat.js';
