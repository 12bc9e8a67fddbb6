import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bin, demoConfig, useDemo } from './fixtures.js';

useDemo();

describe('the demo in Chinese', () => {
  it('npm start -- --lang zh-CN: the config takes DEMO_LOCALE, and the bridge answers in Chinese', async () => {
    const config = await demoConfig();
    // No feed runs: the bridge starts anyway and says so in `sources`.
    const env = { ...process.env, DEMO_LOCALE: 'zh-CN', DEMO_FEED_PORT: '9' };
    const out = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [bin, 'start', '-c', config], { env, stdio: ['pipe', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.on('exit', () => resolve(text));
      child.stdin.end('帮助\n状态\n我是谁\nstauts\n退出\n');
    });
    expect(out).toContain('你可以使用的命令：');
    expect(out).toContain('还没有你可以查看的设备。');
    expect(out).toMatch(/语言：zh-CN/);
    expect(out).toContain('未知命令“stauts”。你是想用 `status` 吗？');
    expect(out).toContain('正在关闭。');
  });
});
