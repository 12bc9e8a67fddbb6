import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const bin = new URL('../dist/bin.js', import.meta.url).pathname;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-cli-plugins-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function cli(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** A config file listing `plugins` (YAML lines), with the console adapter and alice as root. */
async function config(plugins: string[]): Promise<string> {
  const file = join(dir, 'switchboard.yaml');
  const yaml = ['dataDir: ./data', 'logLevel: warn', 'adapters:', '  console: { user: alice }', 'users:', '  - { name: alice, tier: root, identities: [console:alice] }', 'plugins:', ...plugins];
  await writeFile(file, yaml.join('\n') + '\n');
  return file;
}

const echo = `
export default {
  name: 'echo',
  apply(ctx, config) {
    const prefix = config?.prefix ?? 'echo';
    ctx.command({ name: 'echo', kind: 'get', minTier: 'user', description: 'Say it back', run: (c) => c.reply(prefix + ': ' + c.argText) });
    ctx.middleware(async (m, next) => (m.text === 'ping?' ? void (await m.reply('pong!')) : next()));
  },
};
`;

describe('plugins from YAML', () => {
  it('start loads a plugin file relative to the config, with its config; check lists what it adds', async () => {
    await writeFile(join(dir, 'echo.mjs'), echo);
    const file = await config(['  - use: ./echo.mjs', '    config: { prefix: 回声 }']);
    const run = await cli(['start', '-c', file], 'echo 你好\nping?\nquit\n');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('bot> 回声: 你好');
    expect(run.stdout).toContain('bot> pong!');
    const check = await cli(['check', '-c', file]);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('plugins (1):\n  echo (./echo.mjs): echo(user)');
  });

  it('a missing module stops start and check with exit 2, naming the entry, its line and the cause', async () => {
    const file = await config(['  - ./echo.mjs', '  - ./nowhere.mjs']);
    await writeFile(join(dir, 'echo.mjs'), echo);
    for (const command of ['start', 'check']) {
      const run = await cli([command, '-c', file], 'quit\n');
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/plugins\.1: cannot load "\.\/nowhere\.mjs": module not found: no such file .*nowhere\.mjs \(line 9\)/);
      expect(run.stdout).not.toContain('Switchboard is running');
    }
  });

  it('refuses a module whose default export is not a plugin, and one that does not parse', async () => {
    await writeFile(join(dir, 'none.mjs'), 'export const plugin = {};\n');
    await writeFile(join(dir, 'bad.mjs'), 'export default { name: "bad" };\n');
    await writeFile(join(dir, 'broken.mjs'), 'export default {\n');
    const run = await cli(['check', '-c', await config(['  - ./none.mjs', '  - ./bad.mjs', '  - ./broken.mjs'])]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('plugins.0: "./none.mjs" has no default export; a plugin module exports { name, apply } as default (line 8)');
    expect(run.stderr).toContain('plugins.1: the default export of "./bad.mjs" is not a plugin: its "apply" must be a function (ctx, config) => void (line 9)');
    expect(run.stderr).toMatch(/plugins\.2: cannot load "\.\/broken\.mjs": .*\(line 10\)/);
  });

  it('check names a feed whose type no plugin brings, and accepts one a listed plugin adds', async () => {
    await writeFile(join(dir, 'ticker.mjs'), `export default { name: 'ticker', apply(ctx) { ctx.feed('ticker', { create() { throw new Error('not in check'); } }); } };\n`);
    const file = await config(['  - ./ticker.mjs', 'feeds:', '  - { name: pump, type: ticker }', '  - { name: bird, type: carrier-pigeon }']);
    const run = await cli(['check', '-c', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('feeds.1.type: no feed type "carrier-pigeon" (known: websocket, homeassistant, mqtt, webhook, ticker); a plugin adds one with ctx.feed');
    expect(run.stderr).not.toContain('feeds.0');
  });

  it('a plugin whose apply throws: exit 2 naming it, and no half-started bridge', async () => {
    await writeFile(join(dir, 'echo.mjs'), echo);
    await writeFile(join(dir, 'fails.mjs'), `export default { name: 'fails', apply(ctx) { ctx.command({ name: 'half', kind: 'get', minTier: 'user', description: 'x', run: () => {} }); throw new Error('no database at db:5432'); } };\n`);
    const file = await config(['  - ./echo.mjs', '  - use: ./fails.mjs']);
    for (const command of ['start', 'check']) {
      const run = await cli([command, '-c', file], 'echo hi\nquit\n');
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('plugins.1: plugin "fails" (./fails.mjs) failed to start: no database at db:5432 (line 9)');
      expect(run.stdout).not.toContain('echo: hi');
    }
  });
});
