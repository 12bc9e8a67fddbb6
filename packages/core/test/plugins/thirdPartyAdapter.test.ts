import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bridgeFromConfig, ConfigError, loadConfigText, MemoryStore } from '@switchboard/core';

const file = join(new URL('../fixtures/plugins/', import.meta.url).pathname, 'switchboard.yaml');
const yaml = (section: string) => ['adapters:', '  console: { user: alice }', '  pipe:', section, 'plugins:', '  - ./pipe-adapter.mjs', ''].join('\n');

describe('a third-party adapter', () => {
  it('is a plugin whose adapters.<name> section is its config, and runs beside the built-in ones', async () => {
    const config = await loadConfigText(yaml('    token: abcdefgh'), { file, env: {} });
    expect(config.plugins.map((p) => [p.plugin.name, p.path, p.config])).toEqual([
      ['console', 'adapters.console', { user: 'alice', allowSwitch: true, prompt: true }],
      ['pipe', 'plugins.0', { token: 'abcdefgh', maxText: 500 }],
    ]);
    const bridge = bridgeFromConfig(config, { store: new MemoryStore() });
    await bridge.start();
    try {
      expect(bridge.adapters.map((a) => [a.name, a.limits.maxTextLength])).toEqual([
        ['console', expect.any(Number)],
        ['pipe', 500],
      ]);
    } finally {
      await bridge.stop();
    }
  });

  it('has its section checked by its own schema, by path and line', async () => {
    const error = await loadConfigText(yaml('    token: short\n    colour: red'), { file, env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      { path: 'adapters.pipe.token', message: 'string must contain at least 8 character(s)', line: 4 },
      { path: 'adapters.pipe.colour', message: 'unknown key', line: 5 },
    ]);
  });

  it('without its plugin listed, is an unknown adapter', async () => {
    const error = await loadConfigText('adapters:\n  pipe: { token: abcdefgh }\n', { file, env: {} }).catch((e: unknown) => e);
    expect((error as ConfigError).issues).toEqual([
      { path: 'adapters.pipe', message: 'unknown adapter (known: console, qq, wechat; a third-party adapter is listed under plugins)', line: 2 },
    ]);
  });
});
