// `@switchboard/core/testing`: what a plugin's or an adapter's own tests need, kept out of the main entry.
export * from './MemoryAdapter.js';
export * from './waitUntil.js';
export * from './bridge.js';
export * from './storeContract.js';
