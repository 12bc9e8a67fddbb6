// `@switchboard/relay/testing`: feed servers on 127.0.0.1 for a feed plugin's tests.
export * from './servers.js';
export * from './FakeHomeAssistant.js';
export * from './ManualSource.js';
