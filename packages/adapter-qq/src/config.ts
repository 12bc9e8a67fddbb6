import { DurationSchema } from '@switchboard/core';
import { z } from 'zod';
import { Intents, type IntentName } from './gateway/closeCodes.js';

const intentNames = Object.keys(Intents) as [IntentName, ...IntentName[]];

/** `adapters.qq` in the config file. */
export const QqConfigSchema = z
  .object({
    appId: z.string().regex(/^\d+$/, 'the AppID is a number, from q.qq.com → development settings'),
    /** The AppSecret; put it in the environment: `secret: ${QQ_BOT_SECRET}`. */
    secret: z.string().min(8),
    transport: z.enum(['websocket', 'webhook']).default('websocket'),
    /** Events to receive; public bots get guild @-messages, groups and C2C with these defaults. */
    intents: z.array(z.enum(intentNames)).min(1).default(['PUBLIC_GUILD_MESSAGES', 'DIRECT_MESSAGE', 'GROUP_AND_C2C_EVENT']),
    /** Use the sandbox API host. */
    sandbox: z.boolean().default(false),
    apiBase: z.string().url().optional(),
    tokenUrl: z.string().url().default('https://bots.qq.com/app/getAppAccessToken'),
    /** Gateway URL override; by default `GET /gateway/bot` says. */
    gatewayUrl: z.string().regex(/^wss?:\/\//, 'must be a ws:// or wss:// URL').optional(),
    /** Shard count, or `auto` for the platform's suggestion. */
    shards: z.union([z.literal('auto'), z.number().int().min(1).max(64)]).default('auto'),
    webhook: z
      .object({
        /** The platform calls only ports 80, 443, 8080, 8443: put TLS termination in front. */
        listen: z.string().default('127.0.0.1:8443'),
        path: z.string().regex(/^\//).default('/qq'),
        /** How far X-Signature-Timestamp may be from this machine's clock, either way. */
        maxSkew: DurationSchema.pipe(z.number().int().min(1000).max(600_000)).default('2m'),
        /** Time to receive a whole request. */
        requestTimeout: DurationSchema.pipe(z.number().int().min(100).max(15_000)).default('15s'),
        /** Time to receive a request's headers (at most the request timeout). */
        headersTimeout: DurationSchema.pipe(z.number().int().min(100).max(15_000)).default('10s'),
        /** Connections open at once. */
        maxConnections: z.number().int().min(1).max(65_536).default(256),
        /** Largest request body, in bytes (the platform's events are a few KiB). */
        maxBody: z.number().int().min(1024).max(1024 * 1024).default(256 * 1024),
      })
      .strict()
      .refine((w) => w.headersTimeout <= w.requestTimeout, { message: 'headersTimeout must not exceed requestTimeout', path: ['headersTimeout'] })
      .default({}),
    /** For bots that still have active-message permission: send without a reply window. */
    activeMessages: z.boolean().default(false),
    /** Send markdown (msg_type 2); needs the platform's approval. Plain text otherwise. */
    markdown: z.boolean().default(false),
    /** Longest message; longer replies are split. */
    maxTextLength: z.number().int().min(100).max(5000).default(2000),
    /** Each chat's pace: the platform takes 5 messages a second per chat or channel. */
    chatRate: z.number().positive().max(100).default(5),
    /** Sends one chat may make at once, within `chatRate`. */
    chatBurst: z.number().int().min(1).max(100).default(5),
    /** Keep-alive connections to the API host: the sends in flight at once. */
    restConnections: z.number().int().min(1).max(1024).default(64),
    /** Optional cap on sends per second across all chats; off unless set. */
    sendRate: z.number().positive().max(100_000).optional(),
    /**
     * Notifications held for a chat with no open window (alerts waiting for the person to write)
     * go out together as one message when a window opens, saving the window's five replies.
     * Replies to messages are never combined.
     */
    combineHeld: z.boolean().default(true),
    /**
     * A person the bot knows only as a group member (a per-group member_openid, never written to
     * one-to-one) has no chat of their own: with this on, their notifications go to the group they
     * last wrote in; off, they go to their other identities only.
     */
    groupFallback: z.boolean().default(false),
    /** People remembered (how each can be reached), the least recently seen forgotten first. */
    maxContacts: z.number().int().min(100).max(10_000_000).default(100_000),
  })
  .strict();

/** A parsed `adapters.qq` section. */
export type QqConfig = z.output<typeof QqConfigSchema>;
