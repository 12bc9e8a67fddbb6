export * from './program.js';
export * from './logger.js';
export * from './commands/common.js';
