// What the Redis tests share: one redis-server per test file, a temp directory, and the switchboard command.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { redisPresent, startRedis, type TestRedis } from '@switchboard/store-redis/testing';

/** The file's redis-server, once started (`present` says whether there is one to start). */
export interface RedisFixture extends Pick<TestRedis, 'url' | 'port' | 'kill' | 'restart'> {
  readonly present: boolean;
}

/**
 * For a test file: a redis-server started before its tests and stopped after them. Without a
 * redis-server the file's `describe.skipIf(!redis.present)` blocks skip (under CI: an error).
 */
export function useRedis(options?: Parameters<typeof startRedis>[0]): RedisFixture {
  const present = redisPresent();
  let server: TestRedis | undefined;
  beforeAll(async () => {
    if (present) server = await startRedis(options);
  }, 20_000);
  afterAll(async () => {
    await server?.stop();
  });
  const started = (): TestRedis => {
    if (!server) throw new Error('the redis-server of this file is not started (used outside a test?)');
    return server;
  };
  return {
    present,
    get url() {
      return started().url;
    },
    get port() {
      return started().port;
    },
    kill: () => started().kill(),
    restart: () => started().restart(),
  };
}

/** For a test file: a temp directory made before its tests and removed after them; call the result for its path. */
export function useTempDir(prefix: string): () => string {
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return () => dir!;
}

const bin = new URL('../../cli/dist/bin.js', import.meta.url).pathname;

/** Run `switchboard ARGS` to its end, with `input` on stdin; both output streams together. */
export function runCli(args: string[], input?: string): Promise<{ code: number | null; out: string }> {
  const run = startCli(args);
  if (input !== undefined) run.child.stdin!.end(input);
  return run.exited.then((code) => ({ code, out: run.output() }));
}

const running: ChildProcess[] = [];

/** For a test file: every `startCli` process still running after a test is SIGKILLed. */
export function useCliProcesses(): void {
  afterEach(() => {
    for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
}

/** A running `switchboard ARGS`: `say` writes a console line, `waitFor` a pattern in its output (and the ms it took). */
export function startCli(args: string[]) {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  running.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const waitFor = async (pattern: RegExp, what: string, ms = 15_000): Promise<number> => {
    const started = Date.now();
    while (!pattern.test(out)) {
      if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}; output:\n${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return Date.now() - started;
  };
  return { child, waitFor, exited, say: (line: string) => void child.stdin!.write(`${line}\n`), output: () => out };
}
