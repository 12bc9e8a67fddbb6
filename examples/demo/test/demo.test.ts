import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';

const demoDir = new URL('..', import.meta.url).pathname;
const bin = new URL('../../../packages/cli/dist/bin.js', import.meta.url).pathname;
const children: ChildProcess[] = [];
let dir: string | undefined;
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the npm start demo', () => {
  it('relays the demo feed to the console: status shows the devices, changes arrive, quit stops both', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sb-demo-'));
    await cp(join(demoDir, 'switchboard.yaml'), join(dir, 'switchboard.yaml'));
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const feed = spawn(process.execPath, [join(demoDir, 'feed.mjs'), '--port', port, '--speed', '20'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(feed);
    await new Promise((resolve) => createInterface({ input: feed.stdout! }).once('line', resolve));

    const bridge = spawn(process.execPath, [bin, 'start', '-c', join(dir, 'switchboard.yaml')], {
      env: { ...process.env, DEMO_FEED_PORT: port },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(bridge);
    let out = '';
    bridge.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => bridge.on('exit', resolve));
    const waitFor = async (pattern: RegExp, what: string): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!pattern.test(out)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output so far:\n${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    // At 20× speed the simulated devices change every few hundred ms; alice is told of every change.
    await waitFor(/bot> (ℹ️|⚠️|❗|🔥|✅) (printer-1|switch-1|thermo-1)/, 'a relayed change');
    bridge.stdin!.write('status\n');
    await waitFor(/demo\/printer-1: .*\n.*demo\/switch-1: .*\n.*demo\/thermo-1: /, 'the status of the three devices');
    bridge.stdin!.write('sources\n');
    await waitFor(/demo \(websocket\): connected; last frame .* ago; \d+ frames, 0 reconnects, 0 malformed/, 'feed health');
    bridge.stdin!.write('quit\n');
    expect(await exited).toBe(0);
  });
});
