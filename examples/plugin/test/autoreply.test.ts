import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Bridge, ConfigError, FileStore, loadConfig, loadConfigText, type LoadedConfig } from '@switchboard/core';
import { MemoryAdapter, memoryUser, waitUntil } from '@switchboard/core/testing';

const here = new URL('..', import.meta.url).pathname;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The example's own YAML, its plugin loaded as `switchboard start` loads it, on a memory adapter. */
async function start(config: LoadedConfig, dir: string) {
  const adapter = new MemoryAdapter();
  const bridge = new Bridge({
    store: new FileStore({ dir }),
    adapters: [adapter],
    users: [memoryUser('alice', 'root'), memoryUser('carol', 'user')],
    plugins: config.plugins.filter((p) => p.path.startsWith('plugins.')).map((p) => ({ plugin: p.plugin, config: p.config })),
  });
  await bridge.start();
  let n = 0;
  const say = async (from: string, text: string, chat?: { kind: 'group'; id: string; mentioned: boolean }) => {
    const before = adapter.delivered.length;
    adapter.inject({ from, text, id: `m${++n}`, ...(chat ? { chat: { platform: 'memory', kind: 'group', id: chat.id }, mentionsBot: chat.mentioned } : {}) });
    await waitUntil(() => adapter.delivered.length > before, `an answer to "${text}"`);
    return adapter.delivered.at(-1)!.text;
  };
  return { bridge, adapter, say };
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sb-autoreply-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('the autoreply example plugin', () => {
  it('answers keywords from its config, lets commands through, and keeps replies admins add across restarts', async () => {
    const config = await loadConfig(join(here, 'switchboard.yaml'), {});
    expect(config.plugins.filter((p) => p.path.startsWith('plugins.')).map((p) => [p.plugin.name, p.use, p.line])).toEqual([['autoreply', './autoreply.mjs', 17]]);
    const dir = await tempDir();
    const first = await start(config, dir);
    expect(await first.say('carol', '今天天气怎么样？')).toBe('今天晴，最高 25°C。');
    expect(await first.say('carol', 'What is the WiFi?')).toBe('Wi-Fi: lab-5G, the password is on the fridge.');
    expect(await first.say('carol', 'autoreply add 开会 周三')).toBe('"autoreply add" needs admin or above.');
    // A command that mentions a keyword is still the command.
    expect(await first.say('alice', 'autoreply add 开会 周三下午三点 天气好就去')).toBe('Added: 开会 → 周三下午三点 天气好就去');
    expect(await first.say('carol', 'whoami')).toMatch(/^carol \(user\)/);
    await first.bridge.stop();

    const second = await start(config, dir);
    cleanups.push(() => second.bridge.stop());
    expect(await second.say('carol', '开会几点？', { kind: 'group', id: 'g1', mentioned: false })).toBe('周三下午三点 天气好就去');
    expect(await second.say('carol', 'autoreply')).toBe('天气 → 今天晴，最高 25°C。\nwifi → Wi-Fi: lab-5G, the password is on the fridge.\n开会 → 周三下午三点 天气好就去');
    expect(await second.say('alice', 'autoreply remove 天气')).toBe('"天气" comes from the config file; remove it there.');
    expect(await second.say('alice', 'autoreply remove 开会')).toBe('Removed: 开会');
    expect(await second.say('carol', 'hello there')).toBe('Unknown command "hello". Did you mean `help`? Send "help" to see what you can run.');
  });

  it('names the YAML path and line of a bad config', async () => {
    const dir = await tempDir();
    const file = join(dir, 'switchboard.yaml');
    await writeFile(
      file,
      ['adapters:', '  console: { user: alice }', 'plugins:', `  - use: ${join(here, 'autoreply.mjs')}`, '    config:', '      replies:', '        - keyword: 天气', '          answer: 晴'].join('\n'),
    );
    const error = await loadConfig(file, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual(
      expect.arrayContaining([
        { path: 'plugins.0.config.replies.0.reply', message: 'required', line: 7 },
        { path: 'plugins.0.config.replies.0.answer', message: 'unknown key', line: 8 },
      ]),
    );
  });

  it('stays out of groups where it is not mentioned when told to', async () => {
    const config = await loadConfigText(
      ['adapters:', '  console: { user: alice }', 'plugins:', `  - use: ./autoreply.mjs`, '    config: { inGroups: false, replies: [{ keyword: 天气, reply: 晴 }] }'].join('\n'),
      { file: join(here, 'inline.yaml') },
    );
    const { bridge, adapter, say } = await start(config, await tempDir());
    cleanups.push(() => bridge.stop());
    expect(await say('carol', '天气', { kind: 'group', id: 'g1', mentioned: true })).toBe('晴');
    adapter.inject({ from: 'carol', text: '天气', chat: { platform: 'memory', kind: 'group', id: 'g1' }, mentionsBot: false });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(adapter.textsTo('g1')).toEqual(['晴']);
  });
});
