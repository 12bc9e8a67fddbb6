import { describe, expect, it } from 'vitest';
import { demoBridge, demoConfig, demoFeed, useDemo } from './fixtures.js';

useDemo();

describe('alerts end to end on the demo', () => {
  it('pages the user, escalates to the admin when nobody acks, the admin acks, the recovery reaches both', async () => {
    const config = await demoConfig();
    const { feed, port } = await demoFeed(['--scripted']);
    const { say, waitFor, exited, output } = demoBridge(config, { DEMO_FEED_PORT: port, DEMO_ESCALATE_AFTER: '1500ms', DEMO_GROUP_WAIT: '0s' });

    // Wait until the relay has the feed's snapshot.
    for (let i = 0; i < 50 && !/demo\/thermo-1: ok/.test(output()); i++) {
      say('status');
      await new Promise((r) => setTimeout(r, 200));
    }
    await waitFor(/demo\/thermo-1: ok/, 'the snapshot');

    feed.stdin!.write('set thermo-1 overheat critical Server room at 86.0 °C\n');
    await waitFor(/\[→ carol\] 🔥 #1 thermo-1: Server room at 86\.0 °C/, 'carol paged');
    expect(output()).not.toMatch(/\[→ bob\] .*#1/);

    // Nobody acknowledges: after 1.5 s the admins (bob, and alice who is root) are paged.
    await waitFor(/\[→ bob\] ⏫ #1 unacknowledged for \d+(\.\d+)?s?m?s?: thermo-1: Server room at 86\.0 °C\. Send "ack 1" to take it\./, 'bob paged');

    say(':as bob');
    say('ack #1');
    await waitFor(/bot> You acknowledged #1\./, 'the ack reply');
    await waitFor(/\[→ carol\] 👍 #1 acknowledged by bob/, 'carol told who took it');

    feed.stdin!.write('set thermo-1 ok info Server room at 24.5 °C\n');
    await waitFor(/\[→ carol\] ✅ #1 resolved: thermo-1: Server room at 24\.5 °C/, 'carol told of the recovery');
    await waitFor(/bot> ✅ #1 resolved: thermo-1: Server room at 24\.5 °C/, 'bob told of the recovery');

    say('alerts');
    await waitFor(/bot> No open alerts\./, 'no open alerts');
    say(':as alice');
    say('quit');
    expect(await exited).toBe(0);
  });
});
