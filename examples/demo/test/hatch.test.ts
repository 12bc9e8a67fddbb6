import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bin, demoBridge, demoConfig, demoFeed, useDemo } from './fixtures.js';

useDemo();

/** Run the CLI to the end; resolves with its exit code and stdout. */
function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('the demo drives a device', () => {
  it('hatch asks for a code, the simulated Switch starts a run, and the act is in the audit log', async () => {
    const config = await demoConfig();
    const { port } = await demoFeed(['--scripted']);
    const env = { ...process.env, DEMO_FEED_PORT: port };
    const { say, waitFor, exited } = demoBridge(config, env);

    // Asked again until the feed is connected: an answer given while it still connects says "connecting".
    for (let asked = 1; ; asked++) {
      say('sources');
      const connected = await waitFor(/demo \(websocket\): connected/, 'the feed connected', 1000).catch((error: Error) => {
        if (asked >= 15) throw error;
      });
      if (connected) break;
    }
    say('hatch');
    const [, code] = await waitFor(/Reply `yes (\d{4})` within 60 s to run hatch/, 'the confirmation request');
    // carol (a user) may not run it, and alice's code is hers alone.
    say(':as carol');
    say(`yes ${code}`);
    await waitFor(/Nothing is waiting for your confirmation here/, 'carol refused');
    say('hatch');
    await waitFor(/"hatch" needs admin or above; you are user\./, 'the tier refusal');
    say(':as alice');
    say(`yes ${code}`);
    await waitFor(/hatch: demo acknowledged: the Switch started an egg-hatching run/, 'the acknowledgement');
    await waitFor(/switch-1.*Automation run started by alice/, 'the feed reacting');
    say('audit');
    await waitFor(/Latest \d+ audit entries:[\s\S]*alice \(root, console:alice\) hatch → confirm[\s\S]*carol \(user, console:carol\) hatch → refused[\s\S]*alice \(root, console:alice\) hatch → ok/, 'the audit entries');
    say('quit');
    expect(await exited).toBe(0);

    const audit = await cli(['audit', '-c', config, '--user', 'alice', '--json'], env);
    expect(audit.code).toBe(0);
    const entries = audit.out.trim().split('\n').map((line) => JSON.parse(line) as { command: string; outcome: string });
    expect(entries.map((e) => `${e.command} ${e.outcome}`)).toEqual(['hatch confirm', 'hatch started', 'hatch ok', 'quit ok']);
  });
});
