import { parseListen, type Logger } from '@switchboard/core';
import type { QqConfig } from './config.js';
import type { RestClient } from './rest/RestClient.js';
import type { GatewayPayload } from './types.js';
import { WebhookReceiver } from './webhook/WebhookReceiver.js';

/** The REST host the config points at. */
export function apiBaseOf(config: QqConfig): string {
  return config.apiBase ?? (config.sandbox ? 'https://sandbox.api.sgroup.qq.com' : 'https://api.sgroup.qq.com');
}

/** Where and how the gateway sessions of the bot start, from `GET /gateway/bot` and the config. */
export interface GatewayPlan {
  readonly url: string;
  readonly count: number;
  /** Sessions that may start per 5 s (`max_concurrency`). */
  readonly perWindow: number;
}

/**
 * Ask the platform for the gateway and its session limits.
 * @throws Error when the sessions left today are fewer than the shards needed.
 */
export async function gatewayPlan(rest: RestClient, config: QqConfig): Promise<GatewayPlan> {
  const info = await rest.gatewayBot();
  const count = config.shards === 'auto' ? Math.max(1, info.shards) : config.shards;
  const limit = info.session_start_limit;
  if (count > limit.remaining) {
    throw new Error(`the gateway allows ${limit.remaining} more sessions today (reset in ${Math.round(limit.reset_after / 60_000)} min); ${count} shards needed`);
  }
  return { url: config.gatewayUrl ?? info.url, count, perWindow: Math.max(1, limit.max_concurrency) };
}

/** The webhook receiver the config describes, handing each checked event to `onDispatch`. */
export function webhookReceiver(config: QqConfig, onDispatch: (payload: GatewayPayload) => Promise<void>, logger: Logger): WebhookReceiver {
  const { webhook } = config;
  return new WebhookReceiver({
    appId: config.appId,
    secret: config.secret,
    listen: parseListen(webhook.listen),
    path: webhook.path,
    maxSkewMs: webhook.maxSkew,
    maxBodyBytes: webhook.maxBody,
    http: { requestTimeoutMs: webhook.requestTimeout, headersTimeoutMs: webhook.headersTimeout, maxConnections: webhook.maxConnections },
    onDispatch,
    logger,
  });
}
