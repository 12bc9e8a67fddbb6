// `subscribe` tells the truth: it refuses, saying why, when no rule would bring the caller anything.
import { describe, expect, it } from 'vitest';
import { RelaySections } from '@switchboard/relay';
import { alertBridge, useFakeClock } from '../fixtures/alerting.js';

const routes = RelaySections.routes.parse([
  { name: 'vault', match: { device: 'vault-*' }, notify: { tier: 'admin' } },
  { match: { source: 'lab' }, subscribers: 'user' },
]);

useFakeClock();

describe('subscribe', () => {
  it('refuses a device an earlier rule decides about without followers, and says which rule', async () => {
    const { feed, say, inbox } = await alertBridge(routes);
    await feed({ key: 'vault-door', topic: 'door', state: 'open' });
    await feed({ key: 'printer-1', topic: 'printer', state: 'jammed' });
    expect(await say('uma', 'subscribe vault-door')).toBe(
      'Not following vault-door: rule "vault" decides about vault-door first and does not tell followers, so following it would bring you nothing. Ask an admin to change the rules.',
    );
    expect(await say('uma', 'subscribe printer-1')).toBe('You now follow printer-1.');
    await feed({ key: 'printer-1', topic: 'printer', state: 'ok', severity: 'info', resolved: true, text: 'Printer ready' });
    expect(inbox('uma').at(-1)).toBe('✅ printer-1: Printer ready');
    // A device nobody has seen yet: the rules allow it, and nothing says otherwise.
    expect(await say('uma', 'subscribe printer-9')).toBe('You now follow printer-9.');
  });
});
