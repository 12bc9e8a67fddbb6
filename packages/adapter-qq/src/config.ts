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
      })
      .strict()
      .default({}),
    /** For bots that still have active-message permission: send without a reply window. */
    activeMessages: z.boolean().default(false),
    /** Send markdown (msg_type 2); needs the platform's approval. Plain text otherwise. */
    markdown: z.boolean().default(false),
    /** Longest message; longer replies are split. */
    maxTextLength: z.number().int().min(100).max(5000).default(2000),
    /** Sends per second across all chats. */
    sendRate: z.number().positive().max(1000).default(20),
  })
  .strict();

/** A parsed `adapters.qq` section. */
export type QqConfig = z.output<typeof QqConfigSchema>;
