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
    dir = await mkdtemp(join(tmpdir(), 'sb-hatch-'));
    await cp(join(demoDir, 'switchboard.yaml'), join(dir, 'switchboard.yaml'));
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const feed = spawn(process.execPath, [join(demoDir, 'feed.mjs'), '--port', port, '--scripted'], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(feed);
    await new Promise((resolve) => createInterface({ input: feed.stdout! }).once('line', resolve));
    const env = { ...process.env, DEMO_FEED_PORT: port };
    const bridge = spawn(process.execPath, [bin, 'start', '-c', join(dir, 'switchboard.yaml')], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(bridge);
    let out = '';
    bridge.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => bridge.on('exit', resolve));
    const waitFor = async (pattern: RegExp, what: string): Promise<RegExpExecArray> => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const match = pattern.exec(out);
        if (match) return match;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output so far:\n${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const say = (line: string): void => void bridge.stdin!.write(`${line}\n`);

    say('sources');
    await waitFor(/demo \(websocket\): connected/, 'the feed connected');
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

    const audit = await cli(['audit', '-c', join(dir, 'switchboard.yaml'), '--user', 'alice', '--json'], env);
    expect(audit.code).toBe(0);
    const entries = audit.out.trim().split('\n').map((line) => JSON.parse(line) as { command: string; outcome: string });
    expect(entries.map((e) => `${e.command} ${e.outcome}`)).toEqual(['hatch confirm', 'hatch started', 'hatch ok', 'quit ok']);
  });
});
