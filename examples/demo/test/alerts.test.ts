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

describe('alerts end to end on the demo', () => {
  it('pages the user, escalates to the admin when nobody acks, the admin acks, the recovery reaches both', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sb-alerts-'));
    await cp(join(demoDir, 'switchboard.yaml'), join(dir, 'switchboard.yaml'));
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const feed = spawn(process.execPath, [join(demoDir, 'feed.mjs'), '--port', port, '--scripted'], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(feed);
    await new Promise((resolve) => createInterface({ input: feed.stdout! }).once('line', resolve));

    const bridge = spawn(process.execPath, [bin, 'start', '-c', join(dir, 'switchboard.yaml')], {
      env: { ...process.env, DEMO_FEED_PORT: port, DEMO_ESCALATE_AFTER: '1500ms', DEMO_GROUP_WAIT: '0s' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(bridge);
    let out = '';
    bridge.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    let errors = '';
    bridge.stderr!.on('data', (d: Buffer) => (errors += d.toString()));
    const exited = new Promise<number | null>((resolve) => bridge.on('exit', resolve));
    const waitFor = async (pattern: RegExp, what: string, ms = 10_000): Promise<void> => {
      const deadline = Date.now() + ms;
      while (!pattern.test(out)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output so far:\n${out}\n${errors}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const say = (line: string) => bridge.stdin!.write(`${line}\n`);

    // Wait until the relay has the feed's snapshot.
    for (let i = 0; i < 50 && !/demo\/thermo-1: ok/.test(out); i++) {
      say('status');
      await new Promise((r) => setTimeout(r, 200));
    }
    await waitFor(/demo\/thermo-1: ok/, 'the snapshot');

    feed.stdin!.write('set thermo-1 overheat critical Server room at 86.0 °C\n');
    await waitFor(/\[→ carol\] 🔥 #1 thermo-1: Server room at 86\.0 °C/, 'carol paged');
    expect(out).not.toMatch(/\[→ bob\] .*#1/);

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
