import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '@switchboard/core';

function issues(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(text, { env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}${i.line ? ` @${i.line}` : ''}`);
  }
  throw new Error('expected the config to be refused');
}

const minimal = `
adapters:
  console:
    user: alice
users:
  - name: alice
    tier: root
    identities: [console:alice]
`;

describe('config loading', () => {
  it('fills defaults and resolves paths against the config file', () => {
    const config = parseConfig(minimal, { env: {}, file: '/etc/switchboard/main.yaml' });
    expect(config.core.dataDir).toBe('/etc/switchboard/data');
    expect(config.core.dispatcher).toEqual({ concurrency: 64, timeout: 30_000, maxInput: 4000, maxQueued: 256, userRate: 1, userBurst: 10 });
    expect(config.core.users[0]!.identities).toEqual([{ platform: 'console', id: 'alice' }]);
    expect(config.plugins.map((p) => [p.plugin.name, p.path])).toEqual([['console', 'adapters.console']]);
    expect(config.plugins[0]!.config).toEqual({ user: 'alice', allowSwitch: true, prompt: true });
  });

  it('reads where notifications go, and names a default that is no platform', () => {
    const config = parseConfig(`${minimal}notifications:\n  default: console\n  fallbackAfter: 90s\n`, { env: {} });
    expect(config.core.notifications).toEqual({ default: 'console', fallbackAfter: 90_000 });
    expect(parseConfig(minimal, { env: {} }).core.notifications).toEqual({ default: 'last', fallbackAfter: 300_000 });
    expect(issues(`${minimal}notifications:\n  default: telegram\n`)).toEqual([
      'notifications.default: must be last, all or a configured adapter (console); got "telegram" @10',
    ]);
  });

  it('names the path and line of a missing adapter field', () => {
    expect(issues('adapters:\n  console:\n    allowSwitch: true\n')).toEqual(['adapters.console.user: required @2']);
  });

  it('names bad values, unknown keys and unknown adapters by path', () => {
    const text = `
dataDir: ./d
colour: blue
dispatcher:
  timeout: soon
adapters:
  console: { user: alice, typo: 1 }
  telegram: {}
users:
  - name: alice
    tier: superuser
  - name: bob
    tier: user
    identities: [nocolon]
`;
    expect(issues(text)).toEqual([
      'colour: unknown key (expected one of dataDir, logLevel, locale, audit, store, logFile, prefix, guest, dispatcher, outbox, notifications, adapters, users, plugins, commands) @3',
      'dispatcher.timeout: "soon" is not a duration; use e.g. 30s, 5m, 1h30m @5',
      'users.0.tier: must be one of root, admin, user (got "superuser") @11',
      'users.1.identities.0: "nocolon" is not an identity; expected platform:id, e.g. console:alice @14',
      'adapters.console.typo: unknown key @7',
      'adapters.telegram: unknown adapter (known: console, qq, wechat; a third-party adapter is listed under plugins) @8',
    ]);
  });

  it('refuses duplicate users and shared identities', () => {
    const text = `${minimal}  - name: Alice\n    tier: user\n  - name: eve\n    tier: user\n    identities: [console:alice]\n`;
    expect(issues(text)).toEqual([
      'users.1.name: duplicate user name "Alice" (also users.0) @9',
      "users.2.identities.0: console:alice is already alice's identity @13",
    ]);
  });

  it('requires at least one adapter', () => {
    expect(issues('users: []\n')).toEqual(['adapters: required @1']);
    expect(issues('adapters: {}\n')).toEqual(['adapters: at least one adapter is required @1']);
  });

  it('reports YAML syntax errors with their line', () => {
    const [issue] = issues('adapters:\n  console:\n    user: [alice\n');
    expect(issue).toMatch(/@\d+$/);
  });

  it('interpolates ${VAR} and ${VAR:-default} in values, and names an unset variable', () => {
    const text = 'dataDir: ${DATA:-/var/sb}\nadapters:\n  console:\n    user: ${WHO}\n';
    const config = parseConfig(text, { env: { WHO: 'root-person' } });
    expect(config.plugins[0]!.config).toMatchObject({ user: 'root-person' });
    expect(config.core.dataDir).toBe('/var/sb');
    expect(config.secrets).toEqual(['root-person']);
    expect(issues(text)).toEqual(['adapters.console.user: environment variable WHO is not set @4']);
  });

  it('does not let an environment value change the structure of the file', () => {
    const text = 'adapters:\n  console:\n    user: "${WHO}"\n';
    const config = parseConfig(text, { env: { WHO: 'x\nprompt: false' } });
    expect(config.plugins[0]!.config).toMatchObject({ user: 'x\nprompt: false', prompt: true });
  });

  it('never quotes a value that came from the environment in an error', () => {
    const text = 'dispatcher:\n  timeout: ${SB_SECRET}\nadapters:\n  console:\n    user: alice\n';
    expect(issues(text, { SB_SECRET: 'hunter2-very-secret' })).toEqual([
      'dispatcher.timeout: "[redacted]" is not a duration; use e.g. 30s, 5m, 1h30m @2',
    ]);
  });

  it('names a missing file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-cfg-'));
    try {
      await expect(loadConfig(join(dir, 'nope.yaml'), {})).rejects.toThrow(/cannot read .*nope\.yaml: file not found/);
      await writeFile(join(dir, 'ok.yaml'), minimal);
      expect((await loadConfig(join(dir, 'ok.yaml'), { env: {} })).core.dataDir).toBe(join(dir, 'data'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
