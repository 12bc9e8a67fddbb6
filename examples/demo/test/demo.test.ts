import { describe, expect, it } from 'vitest';
import { demoBridge, demoConfig, demoFeed, useDemo } from './fixtures.js';

useDemo();

describe('the npm start demo', () => {
  it('relays the demo feed to the console: status shows the devices, changes arrive, quit stops both', async () => {
    const config = await demoConfig();
    const { port } = await demoFeed(['--speed', '20']);
    const { say, waitFor, exited } = demoBridge(config, { DEMO_FEED_PORT: port });

    // At 20× speed the simulated devices change every few hundred ms; alice is told of every change.
    await waitFor(/bot> (ℹ️|⚠️|❗|🔥|✅) (printer-1|switch-1|thermo-1)/, 'a relayed change');
    say('status');
    await waitFor(/demo\/printer-1: .*\n.*demo\/switch-1: .*\n.*demo\/thermo-1: /, 'the status of the three devices');
    say('sources');
    await waitFor(/demo \(websocket\): connected; last frame .* ago; \d+ frames, 0 reconnects, 0 malformed/, 'feed health');
    say('quit');
    expect(await exited).toBe(0);
  });
});
