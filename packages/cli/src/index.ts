export * from './program.js';
export * from './logger.js';
export * from './adapters.js';
export * from './commands/common.js';
