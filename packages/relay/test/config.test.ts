import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '@switchboard/core';
import { relayConfigOf, relayPlugin } from '@switchboard/relay';

const base = 'adapters:\n  console:\n    user: alice\n';
const load = (text: string, env: Record<string, string> = {}) =>
  parseConfig(base + text, { plugins: [relayPlugin], env });

function issues(text: string): string[] {
  try {
    load(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected the config to be refused');
}

describe('relay config', () => {
  it('reads feeds, routes and defaults', () => {
    const config = load(`feeds:
  - { name: lab, type: websocket, url: "ws://127.0.0.1:1", mapping: { device: id } }
  - { name: hooks, type: webhook, token: "\${HOOK_TOKEN}", format: alertmanager }
routes:
  - { match: { severity: critical }, notify: { tier: admin } }
`, { HOOK_TOKEN: 'sixteen-chars-or-more' });
    const relay = relayConfigOf(config)!;
    expect(config.plugins.map((p) => [p.plugin.name, p.path])).toEqual([['console', 'adapters.console'], ['relay', 'feeds']]);
    expect(relay.feeds.map((f) => f.name)).toEqual(['lab', 'hooks']);
    expect(relay.feeds[0]).toMatchObject({ ping: 25_000, backoff: { base: 1000, max: 60_000 }, mapping: { device: 'id', state: 'state' } });
    expect(relay.feeds[1]).toMatchObject({ listen: '127.0.0.1:8780', format: 'alertmanager' });
    expect(relay.routes[0]).toMatchObject({ continue: false, notify: { tier: 'admin', users: [] } });
    expect(relay.relay.template).toBe('{{icon}} {{device}}: {{text}}');
    expect(config.secrets).toContain('sixteen-chars-or-more');
  });

  it('names each bad feed and route field by path', () => {
    expect(
      issues(`feeds:
  - { name: lab, type: websocket, url: "http://nope" }
  - { name: lab, type: webhook, token: short }
  - { name: x, type: carrier-pigeon }
routes:
  - { match: { severity: extreme }, notify: { tier: boss } }
`),
    ).toEqual([
      'feeds.0.url: must be a ws:// or wss:// URL',
      'feeds.1.token: use a token of at least 16 characters',
      // A type the relay does not bring may be a plugin's: it is checked when the relay starts (and by check).
      'feeds.1.name: duplicate feed name "lab"',
      'routes.0.match.severity: must be one of info, warning, error, critical (got "extreme")',
      'routes.0.notify.tier: must be one of root, admin, user (got "boss")',
    ]);
  });

  it('has no relay when the file has none of its sections, and defaults the rest when it has one', () => {
    expect(relayConfigOf(load(''))).toBeUndefined();
    expect(relayConfigOf(load('routes: []\n'))).toMatchObject({ feeds: [], routes: [], relay: { maxText: 1000 } });
  });
});
