import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore, type Bridge } from '@switchboard/core';
import { replies, startBridge } from '../fixtures/harness.js';

let running: Bridge | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function chat(store = new MemoryStore(), locale?: 'en' | 'zh-CN') {
  const h = await startBridge({ store, bridge: { limits: { userRate: 0 }, ...(locale ? { locale } : {}) } });
  running = h.bridge;
  return { ...h, say: replies(h.adapter) };
}

describe('languages', () => {
  it('each person chooses their own, it persists, and whoami shows it', async () => {
    const store = new MemoryStore();
    const first = await chat(store);
    expect(await first.say('carol', 'lang')).toBe('Your language: en. Choose with "lang zh-CN" or "lang en".');
    expect(await first.say('carol', 'lang zh-CN')).toBe('你的语言已设为简体中文。');
    expect(await first.say('carol', 'whoami')).toMatch(/\n语言：zh-CN$/);
    expect(await first.say('carol', 'frobnicate')).toBe('未知命令“frobnicate”。发送“帮助”查看你可以使用的命令。');
    expect(await first.say('bob', 'frobnicate')).toBe('Unknown command "frobnicate". Send "help" to see what you can run.');
    expect(await first.say('carol', 'lang klingon')).toBe('“klingon”不是这个桥接支持的语言；请用 zh-CN 或 en。');
    await first.bridge.stop();
    const second = await chat(store);
    expect(await second.say('carol', 'quit')).toBe('“quit”需要 root 或以上权限；你是 user。');
    expect(await second.say('carol', '语言 en')).toBe('Your language is now English.');
    expect(await second.say('carol', 'quit')).toBe('"quit" needs root or above; you are user.');
  });

  it('the bridge\'s locale is the default for those who chose none', async () => {
    const { say } = await chat(undefined, 'zh-CN');
    expect(await say('bob', 'promote')).toBe('用法：promote <名字> [权限]');
    expect(await say('bob', 'lang')).toBe('你的语言：zh-CN。用“语言 zh-CN”或“语言 en”选择。');
  });

  it('Chinese command names work, full-width forms too, and help shows the names of the caller\'s language', async () => {
    const { say } = await chat();
    await say('carol', 'lang zh-CN');
    const help = await say('carol', '帮助');
    expect(help.split('\n')[0]).toBe('你可以使用的命令：');
    expect(help).toMatch(/\n帮助 \(help\) \[命令\] +列出你可以使用的命令，或说明其中一个\n/);
    expect(help).toMatch(/\n我是谁 \(whoami\) +显示桥接认为你是谁\n/);
    expect(help).not.toContain('提权');
    expect(await say('carol', '／我是谁')).toMatch(/^carol \(user\)/);
    expect(await say('carol', '语言：en')).toBe('Your language is now English.');
    expect(await say('carol', 'help whoami')).toBe('whoami\nShow who the bridge thinks you are\nkind: get; needs: user; aliases: 我是谁');
    expect(await say('alice', '帮助　提权')).toMatch(/^promote <name> \[tier\]\n/);
  });

  it('suggests the near command the caller may run, in either language, and never one above their tier', async () => {
    const { say } = await chat();
    expect(await say('carol', 'whoamii')).toBe('Unknown command "whoamii". Did you mean `whoami`? Send "help" to see what you can run.');
    expect(await say('carol', 'hlep')).toBe('Unknown command "hlep". Did you mean `help`? Send "help" to see what you can run.');
    expect(await say('carol', '帮主')).toBe('Unknown command "帮主". Did you mean `帮助`? Send "help" to see what you can run.');
    // promote is for admins: carol gets no hint that it exists; bob does.
    expect(await say('carol', 'promte')).toBe('Unknown command "promte". Send "help" to see what you can run.');
    expect(await say('bob', 'promte')).toBe('Unknown command "promte". Did you mean `promote`? Send "help" to see what you can run.');
    expect(await say('carol', 'audti')).toBe('Unknown command "audti". Send "help" to see what you can run.');
    expect(await say('carol', 'xyzzy')).toBe('Unknown command "xyzzy". Send "help" to see what you can run.');
    // Pinyin initials: bz 帮助, wss 我是谁; tq (提权) is above carol's tier.
    expect(await say('carol', 'bz')).toBe('Unknown command "bz". Did you mean `帮助`? Send "help" to see what you can run.');
    expect(await say('carol', 'wss')).toBe('Unknown command "wss". Did you mean `我是谁`? Send "help" to see what you can run.');
    expect(await say('carol', 'tq')).toBe('Unknown command "tq". Send "help" to see what you can run.');
    expect(await say('bob', 'tq')).toBe('Unknown command "tq". Did you mean `提权`? Send "help" to see what you can run.');
  });

  it('confirmations are asked in the caller\'s language, and 是 / 否 answer them', async () => {
    const { say, bridge } = await chat();
    let runs = 0;
    bridge.registry.register({ name: 'hatch', kind: 'control', minTier: 'user', description: 'hatch', confirm: true, run: async (ctx) => void (runs++, await ctx.reply('ok')) });
    await say('carol', 'lang zh-CN');
    const asked = await say('carol', 'hatch');
    expect(asked).toMatch(/^请在 60秒 内回复 `yes (\d{4})` 以执行 hatch。回复 `no` 取消。$/);
    expect(await say('carol', '否')).toBe('已取消：hatch 没有执行。');
    const code = /yes (\d{4})/.exec(await say('carol', 'hatch'))![1]!;
    expect(await say('carol', `是 ${code}`)).toBe('ok');
    expect(runs).toBe(1);
  });
});
