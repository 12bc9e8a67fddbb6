import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach } from 'vitest';

export const demoDir = new URL('..', import.meta.url).pathname;
export const bin = new URL('../../../packages/cli/dist/bin.js', import.meta.url).pathname;

const children: ChildProcess[] = [];
const dirs: string[] = [];

/** For a test file of demo runs: every feed and bridge it started is killed, every copy removed, after each test. */
export function useDemo(): void {
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
}

/** A copy of the demo config in a temp dir (its data directory lands there). @returns the config file. */
export async function demoConfig(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sb-demo-'));
  dirs.push(dir);
  await cp(join(demoDir, 'switchboard.yaml'), join(dir, 'switchboard.yaml'));
  return join(dir, 'switchboard.yaml');
}

/** The demo feed on a random port, listening: `--scripted` ones change only when told on stdin. */
export async function demoFeed(args: readonly string[]): Promise<{ feed: ChildProcess; port: string }> {
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const feed = spawn(process.execPath, [join(demoDir, 'feed.mjs'), '--port', port, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(feed);
  await new Promise((resolve) => createInterface({ input: feed.stdout! }).once('line', resolve));
  return { feed, port };
}

/**
 * `switchboard start` on `config`, driven through its console: `say` writes a line, `waitFor` waits
 * for a pattern in what it printed (and returns the match), `exited` resolves with its exit code.
 * Its operations server listens on a free port unless `env` names one (DEMO_HTTP_PORT).
 */
export function demoBridge(config: string, env: NodeJS.ProcessEnv) {
  const bridge = spawn(process.execPath, [bin, 'start', '-c', config], { env: { ...process.env, DEMO_HTTP_PORT: '0', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(bridge);
  let out = '';
  let errors = '';
  bridge.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  bridge.stderr!.on('data', (d: Buffer) => (errors += d.toString()));
  const exited = new Promise<number | null>((resolve) => bridge.on('exit', resolve));
  const waitFor = async (pattern: RegExp, what: string, ms = 10_000): Promise<RegExpExecArray> => {
    const deadline = Date.now() + ms;
    for (;;) {
      // The console prints the bot's lines on stdout and its own notices (the banner) on stderr.
      const match = pattern.exec(out) ?? pattern.exec(errors);
      if (match) return match;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output so far:\n${out}\n${errors}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const say = (line: string): void => void bridge.stdin!.write(`${line}\n`);
  return { bridge, say, waitFor, exited, output: () => out };
}
