// The packages as a user gets them: packed with `npm pack`, installed into an empty project outside the workspace
// (so nothing is hoisted from the repo), then imported, type-checked and run there.
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockRegistry, type LockRegistry } from './lockRegistry.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('../fixtures/consumer/', import.meta.url));
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

/** The publishable workspaces: every package under packages/. */
const workspaces = ['packages/core', 'packages/relay', 'packages/ops', 'packages/store-redis', 'packages/adapter-qq', 'packages/adapter-wechat', 'packages/cli'];

/** The environment without what `npm test` exports to its scripts (npm_config_local_prefix would point npm back here). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value;
  return { ...env, ...extra };
}

let work: string;
let app: string;
let registry: LockRegistry | undefined;
let packed: { name: string; file: string; manifest: Record<string, unknown> & { name: string; version: string } }[];
let install: { ok: boolean; output: string };
const optionalPeers = new Set<string>();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sb-packages-'));
  app = join(work, 'app');
  const packs = join(work, 'packs');
  const args = ['pack', '--json', '--ignore-scripts', '--pack-destination', packs, ...workspaces.flatMap((w) => ['-w', w])];
  await run('mkdir', ['-p', packs, app]);
  const { stdout } = await run('npm', args, { cwd: root, env: cleanEnv(), maxBuffer: 64 << 20 });
  const results = JSON.parse(stdout) as { name: string; filename: string }[];
  packed = await Promise.all(
    results.map(async (r, i) => ({
      name: r.name,
      file: join(packs, r.filename),
      manifest: JSON.parse(await readFile(join(root, workspaces[i]!, 'package.json'), 'utf8')) as (typeof packed)[number]['manifest'],
    })),
  );
  const { stdout: cache } = await run('npm', ['config', 'get', 'cache'], { cwd: root, env: cleanEnv() });
  registry = await lockRegistry({
    lockFile: join(root, 'package-lock.json'),
    npmCache: cache.trim(),
    extra: packed.map((p) => ({ manifest: p.manifest, tarball: p.file })),
  });

  const rootLock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version: string; peerDependenciesMeta?: Record<string, { optional?: boolean }> }>;
  };
  for (const entry of Object.values(rootLock.packages)) {
    for (const [name, meta] of Object.entries(entry.peerDependenciesMeta ?? {})) if (meta.optional) optionalPeers.add(name);
  }
  const locked = (name: string) => rootLock.packages[`node_modules/${name}`]!.version;
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'switchboard-consumer',
      private: true,
      type: 'module',
      // What a user installs: the packages from the registry, by name and version, nothing else of ours.
      dependencies: Object.fromEntries(packed.map((p) => [p.name, p.manifest.version])),
      devDependencies: { typescript: locked('typescript'), '@types/node': locked('@types/node'), 'wechaty-puppet-mock': locked('wechaty-puppet-mock') },
    }),
  );
  for (const file of await readdir(fixtures)) await copyFile(join(fixtures, file), join(app, file));
  const npmrc = [`registry=${registry.url}`, `cache=${join(work, 'npm-cache')}`, 'audit=false', 'fund=false', 'update-notifier=false'];
  await writeFile(join(app, '.npmrc'), `${npmrc.join('\n')}\n`);
  install = await run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: app, env: cleanEnv(), maxBuffer: 64 << 20 }).then(
    (r) => ({ ok: true, output: r.stdout + r.stderr }),
    (error: { stdout?: string; stderr?: string; message: string }) => ({ ok: false, output: `${error.message}\n${error.stdout ?? ''}${error.stderr ?? ''}` }),
  );
}, 600_000);

afterAll(async () => {
  await registry?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Run a node script in the consumer project and parse the JSON line it prints. */
async function node(script: string): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [script], { cwd: app, env: cleanEnv(), timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('the packed packages, installed into an empty project', () => {
  it('install from a registry with only the lock file\'s packages, none missing', () => {
    expect(install.output, install.output).not.toMatch(/ERR!|npm error/);
    expect(install.ok, install.output).toBe(true);
    // npm asks for optional peer dependencies (ws's bufferutil…) and goes on without them; nothing else may be missing.
    expect(registry!.missing.filter((name) => !optionalPeers.has(name)).sort()).toEqual([]);
  });

  it('share one core and one rxjs with every plugin (peer dependencies)', async () => {
    for (const name of ['@switchboard/core', 'rxjs']) {
      const { stdout } = await run('find', ['.', '-path', `*/node_modules/${name}/package.json`], { cwd: app });
      expect(stdout.trim().split('\n'), name).toEqual([`./node_modules/${name}/package.json`]);
    }
  });

  it('load every public entry point and testing subpath from the installed files, with their exports', async () => {
    const report = (await node('entries.mjs')) as Record<string, { missing: string[]; url: string }> & { leaked: string[] };
    const { leaked, ...entries } = report;
    // Every entry point of every packed package: its main entry, and its testing subpath when it has one.
    const expected = packed.flatMap((p) => {
      const exports = (p.manifest as { exports?: Record<string, unknown> }).exports ?? { '.': {} };
      return Object.keys(exports).map((key) => (key === '.' ? p.name : `${p.name}/${key.slice(2)}`));
    });
    expect(Object.keys(entries).sort()).toEqual(expected.sort());
    for (const [entry, { missing, url }] of Object.entries(entries)) {
      expect(missing, entry).toEqual([]);
      expect(url.startsWith(`file://${app}/node_modules/`), `${entry} resolved to ${url}`).toBe(true);
    }
    expect(leaked).toEqual([]);
  });

  it('type-check a consumer against the packed declarations, ours checked in full', async () => {
    const output = await run(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: app, env: cleanEnv() }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? 'tsc failed',
    );
    // skipLibCheck is off, so an import our .d.ts cannot resolve is an error rather than a silent `any`. Third-party
    // declarations (wechaty's do not pass strict checks) are not ours to fix: only errors in ours and in the consumer count.
    const errors = output.split('\n').filter((line) => /^(consumer\.ts|node_modules\/@switchboard\/)/.test(line));
    expect(errors).toEqual([]);
    expect(output === '' || /error TS/.test(output), output).toBe(true);
  });

  it('start a bridge on the console adapter with the relay plugin and a plugin of its own', async () => {
    const { ok, written } = (await node('bridge.mjs')) as { ok: boolean; written: string };
    expect(written).toContain('pong from the tarball');
    expect(written).toContain('boiler: overheated');
    expect(ok).toBe(true);
  });

  it('run the smallest example of the core README as written', async () => {
    const readme = await readFile(join(root, 'packages/core/README.md'), 'utf8');
    const code = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code, 'packages/core/README.md has a ```js example').toBeDefined();
    await writeFile(join(app, 'readme-example.mjs'), code!);
    const child = spawn(process.execPath, ['readme-example.mjs'], { cwd: app, env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stdin.end('hello\nquit\n');
    const code_ = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('exit', (exit) => {
        clearTimeout(timer);
        resolve(exit);
      });
    });
    expect(out).toContain('hello, me');
    expect(code_, out).toBe(0);
  });

  it('type-check the JavaScript example of every package README against the packed declarations', async () => {
    const files: string[] = [];
    for (const dir of workspaces) {
      const readme = await readFile(join(root, dir, 'README.md'), 'utf8');
      for (const [i, match] of [...readme.matchAll(/```js\n([\s\S]*?)```/g)].entries()) {
        const file = `readme-${dir.split('/')[1]}-${i}.mjs`;
        await writeFile(join(app, file), match[1]!);
        files.push(file);
      }
    }
    expect(files.length).toBeGreaterThanOrEqual(4);
    const config = { compilerOptions: { module: 'NodeNext', target: 'ES2022', allowJs: true, checkJs: true, noEmit: true, strictNullChecks: true, types: ['node'] }, files };
    await writeFile(join(app, 'tsconfig.readme.json'), JSON.stringify(config));
    const output = await run(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.readme.json'], { cwd: app, env: cleanEnv() }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? 'tsc failed',
    );
    expect(output.split('\n').filter((line) => line.startsWith('readme-'))).toEqual([]);
  });

  it('run the switchboard command from the cli package', async () => {
    await writeFile(join(app, 'switchboard.yaml'), 'adapters:\n  console:\n    user: me\nusers:\n  - { name: me, tier: root, identities: [console:me] }\n');
    const { stdout } = await run(join(app, 'node_modules', '.bin', 'switchboard'), ['check', '-c', 'switchboard.yaml'], { cwd: app, env: cleanEnv() });
    expect(stdout).toMatch(/console/);
  });

  it('pass publint and arethetypeswrong (ESM-only profile) for every tarball', async () => {
    for (const { file, name } of packed) {
      const lint = await run(bin('publint'), ['run', file, '--strict'], { cwd: work }).then(
        (r) => ({ ok: true, out: r.stdout }),
        (e: { stdout?: string }) => ({ ok: false, out: e.stdout ?? '' }),
      );
      expect(lint.ok, `${name}: ${lint.out}`).toBe(true);
      const types = await run(bin('attw'), [file, '--profile', 'esm-only', '--format', 'ascii'], { cwd: work }).then(
        (r) => ({ ok: true, out: r.stdout }),
        (e: { stdout?: string }) => ({ ok: false, out: e.stdout ?? '' }),
      );
      expect(types.ok, `${name}: ${types.out}`).toBe(true);
    }
  });
});
