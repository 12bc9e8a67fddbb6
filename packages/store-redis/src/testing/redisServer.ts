import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's redis-server is, or `REDIS_SERVER`. */
export const redisServerPath = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

/**
 * Whether there is a redis-server to start. Tests skip, with a warning, when there is none, except under `CI`,
 * where its absence is an error (`.ci/run` installs it).
 * @throws Error under CI when there is none.
 */
export function redisPresent(): boolean {
  if (existsSync(redisServerPath)) return true;
  if (process.env.CI) throw new Error(`no redis-server at ${redisServerPath}: .ci/run installs Debian's redis-server package`);
  process.emitWarning(`skipping the Redis tests: no redis-server at ${redisServerPath} (apt-get install redis-server, or set REDIS_SERVER)`);
  return false;
}

/** A real redis-server of the test's own, on 127.0.0.1, in a temp directory. */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly process: ChildProcess;
  /** SIGKILL it (what is not in its append-only file is gone). */
  kill(): Promise<void>;
  /** Start it again on the same port and directory (it reloads its append-only file). */
  restart(): Promise<void>;
  /** Stop it and remove its directory. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Start Debian's `redis-server` for a test: a free port on 127.0.0.1, its files in a new temp
 * directory, the append-only file on and fsynced at every write (`appendfsync always`), no RDB
 * snapshots; with `password`, clients must AUTH. Resolves once it accepts connections.
 * @throws Error when there is no redis-server (`apt-get install redis-server`, or set REDIS_SERVER).
 */
export async function startRedis(options: { readonly appendfsync?: 'always' | 'everysec' | 'no'; readonly password?: string } = {}): Promise<TestRedis> {
  if (!existsSync(redisServerPath)) throw new Error(`no redis-server at ${redisServerPath}: apt-get install redis-server, or set REDIS_SERVER`);
  const dir = await mkdtemp(join(tmpdir(), 'sb-redis-'));
  const port = await freePort();
  let child: ChildProcess;
  const launch = async (): Promise<void> => {
    child = spawn(
      redisServerPath,
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', options.appendfsync ?? 'always', '--daemonize', 'no', '--logfile', '', ...(options.password ? ['--requirepass', options.password] : [])],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${out}`)), 10_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}) before it was ready:\n${out}`));
      });
    });
  };
  const killed = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get process() {
      return child;
    },
    kill: killed,
    restart: async () => {
      await killed();
      await launch();
    },
    stop: async () => {
      await killed();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
