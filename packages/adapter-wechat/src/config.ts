import { z } from 'zod';
import { DurationSchema } from '@switchboard/core';

/** `adapters.wechat` in the config file. */
export const WechatConfigSchema = z
  .object({
    /**
     * Puppet package by name (installed separately unless it is one Wechaty ships: wechat4u, service).
     * @defaultValue wechaty-puppet-wechat4u (web protocol; see the README for the honest state of each)
     */
    puppet: z.string().min(1).default('wechaty-puppet-wechat4u'),
    /** Options for the puppet, e.g. `{ token: ${WECHATY_PUPPET_SERVICE_TOKEN} }`. */
    puppetOptions: z.record(z.string(), z.unknown()).default({}),
    /** Session name; the login session (memory card) is kept as `<dataDir>/wechat/<session>.memory-card.json`. */
    session: z.string().regex(/^[\w.-]{1,64}$/, 'letters, digits, ".", "_" or "-"').default('switchboard'),
    /** In rooms, answer only messages that mention the bot. */
    mentionOnly: z.boolean().default(true),
    /** Rooms to listen in, by topic or id; empty means every room. */
    rooms: z.array(z.string()).default([]),
    /** Messages older than this (offline replays after a login) are skipped. */
    maxAge: DurationSchema.default('2m'),
    /** Pacing: at least this long between two sends to one chat, plus random jitter. */
    perChatInterval: DurationSchema.default('1s'),
    /** Sends per second across all chats (WeChat bans accounts that flood). */
    sendRate: z.number().positive().max(50).default(1),
    /** Extra random delay added to each send, up to this long. */
    jitter: DurationSchema.default('500ms'),
    /** Longest text in one message; longer replies are split. */
    maxTextLength: z.number().int().min(100).max(20_000).default(2000),
    /** Restart backoff after a logout or puppet failure. */
    restartBackoff: z
      .object({ base: DurationSchema.default('5s'), max: DurationSchema.default('5m') })
      .strict()
      .default({}),
  })
  .strict();

/** A parsed `adapters.wechat` section. */
export type WechatConfig = z.output<typeof WechatConfigSchema>;
