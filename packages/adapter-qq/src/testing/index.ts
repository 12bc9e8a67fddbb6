// `@switchboard/adapter-qq/testing`: fakes of the QQ open platform, as strict as the platform, for tests.
export * from './FakeGateway.js';
export * from './FakeQqHttp.js';
