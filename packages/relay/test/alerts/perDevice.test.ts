// Updates of one device are handled strictly in order, even when a feed hands over several at once.
import { describe, expect, it } from 'vitest';
import { RelaySections } from '@switchboard/relay';
import { alertBridge, running, settle, useFakeClock } from '../fixtures/alerting.js';

const routes = RelaySections.routes.parse([
  { name: 'doors', match: { topic: 'door' }, notify: { tier: 'admin' }, alert: { severity: 'warning', groupWait: '1s' } },
]);

useFakeClock();

describe('one device at a time', () => {
  it('a problem resolved within the group wait, in one frame, pages nobody and leaves no alert open', async () => {
    const { relay, update, inbox } = await alertBridge(routes);
    // Two updates of one device arriving together, as one frame carrying both does: nobody awaits the first.
    const both = [
      relay.handle(update({ key: 'door', topic: 'door', state: 'open', text: 'Open' })),
      relay.handle(update({ key: 'door', topic: 'door', state: 'ok', severity: 'info', resolved: true, text: 'Closed' })),
    ];
    await settle();
    await Promise.all(both);
    await settle(5_000);
    expect(inbox('ada')).toEqual([]);
    expect(inbox('root1')).toEqual([]);
    expect(relay.context!.alerts.open()).toEqual([]);
  });

  it('a device flapping 50 times at once ends in its last state, with at most one open alert', async () => {
    for (let run = 0; run < 5; run++) {
      const { relay, update, inbox, bridge } = await alertBridge(routes);
      const flaps = Array.from({ length: 50 }, (_, i) =>
        relay.handle(update({ key: 'door', topic: 'door', ...(i % 2 === 0 ? { state: 'open', text: 'Open' } : { state: 'ok', severity: 'info' as const, resolved: true, text: 'Closed' }) })),
      );
      await settle();
      await Promise.all(flaps);
      await settle(5_000);
      // The last update closed the door: nothing is open, and nobody heard of an alert that was never paged.
      expect(relay.context!.alerts.open()).toEqual([]);
      expect(inbox('ada').filter((t) => t.startsWith('⚠️'))).toEqual([]);
      await bridge.stop();
      running.length = 0;
    }
  });

  it('different devices arriving together each get their own alert', async () => {
    const { relay, update } = await alertBridge(routes);
    const a = relay.handle(update({ key: 'door-a', topic: 'door', state: 'open' }));
    const b = relay.handle(update({ key: 'door-b', topic: 'door', state: 'open' }));
    await settle();
    await Promise.all([a, b]);
    expect(relay.context!.alerts.open().map((x) => x.device).sort()).toEqual(['door-a', 'door-b']);
  });
});
