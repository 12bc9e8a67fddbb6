export * from './RedisStore.js';
export * from './RedisAuditLog.js';
export * from './config.js';
export { redisStore as default } from './config.js';
