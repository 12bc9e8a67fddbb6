// `@switchboard/store-redis/testing`: a real redis-server for tests.
export * from './redisServer.js';
