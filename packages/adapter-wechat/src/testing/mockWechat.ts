import type { EventEmitter } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@switchboard/core';
import { PuppetMock, mock } from 'wechaty-puppet-mock';
import { WechatConfigSchema, type WechatConfig } from '../config.js';
import { WechatAdapter } from '../WechatAdapter.js';

export interface MockWechatOptions {
  /** The bot account's display name. @defaultValue 'Bot' */
  readonly botName?: string;
  /** Config values over the test defaults (no pacing, no jitter, 50 sends a second). */
  readonly config?: Partial<WechatConfig>;
  readonly logger?: Logger;
}

export interface MockWechat {
  /** wechaty-puppet-mock's world: create contacts and rooms here, and make them talk. */
  readonly mocker: mock.Mocker;
  readonly puppet: PuppetMock;
  /** A real `WechatAdapter` on a real Wechaty, driven by the mock puppet. Give it to a `Bridge`. */
  readonly adapter: WechatAdapter;
  /** The contact the bot is logged in as, once `login()` was called. */
  readonly bot: mock.ContactMock;
  /** Log the bot in, and resolve once the adapter says it is logged in. Call it after the bridge started. */
  login(timeoutMs?: number): Promise<void>;
  /** The texts the bot sends into a chat (a contact's one-to-one chat or a room) from now on, in order. */
  sentTo(target: mock.ContactMock | mock.RoomMock): string[];
}

/**
 * WeChat for tests: a `WechatAdapter` over wechaty-puppet-mock (an optional peer dependency; install it next to
 * this package to use this helper). Nothing leaves the process.
 */
export async function mockWechat(options: MockWechatOptions = {}): Promise<MockWechat> {
  const mocker = new mock.Mocker();
  const puppet = new PuppetMock({ mocker });
  const bot = mocker.createContact({ name: options.botName ?? 'Bot' });
  const adapter = new WechatAdapter({
    config: WechatConfigSchema.parse({ perChatInterval: 0, jitter: 0, sendRate: 50, ...options.config }),
    sessionDir: await mkdtemp(join(tmpdir(), 'sb-wechat-')),
    puppet,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return {
    mocker,
    puppet,
    adapter,
    bot,
    async login(timeoutMs = 5000) {
      mocker.login(bot);
      const deadline = Date.now() + timeoutMs;
      while (!adapter.loggedIn) {
        if (Date.now() > deadline) throw new Error(`mockWechat: the bot was not logged in within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    sentTo(target) {
      const texts: string[] = [];
      // typed-emitter's typings are lost under NodeNext; the object is an EventEmitter.
      (target as unknown as EventEmitter).on('message', (m: mock.MessageMock) => {
        if (m.talker().id === bot.id) texts.push(m.payload.text ?? '');
      });
      return texts;
    },
  };
}
