import { Pool, request, type Dispatcher } from 'undici';
import { headerOf, type TokenManager } from '../auth/TokenManager.js';
import { QqApiError, TokenCodes } from './QqApiError.js';
import type { GatewayBotInfo, MessageBody, SentMessage } from '../types.js';

/** Options of {@link RestClient}. */
export interface RestClientOptions {
  readonly appId: string;
  /** @defaultValue https://api.sgroup.qq.com */
  readonly apiBase: string;
  readonly tokens: TokenManager;
  /** Injected for tests (undici MockAgent) or proxies; a keep-alive Pool on apiBase otherwise. */
  readonly dispatcher?: Dispatcher;
  /** Per-request timeout; the platform advises at least 5 s. @defaultValue 10000 */
  readonly timeoutMs?: number;
  /**
   * Keep-alive connections to the API host. Sends in flight at once are capped by this: at 30 ms
   * a round trip, 8 connections carry about 250 sends a second, 64 about 2,000. @defaultValue 64
   */
  readonly connections?: number;
}

/**
 * The QQ OpenAPI over undici: a pooled keep-alive dispatcher, `Authorization: QQBot <token>`, and
 * one token refresh plus one retry when the platform says the token is gone (401 / 11244).
 */
export class RestClient {
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly timeoutMs: number;

  constructor(private readonly options: RestClientOptions) {
    this.timeoutMs = Math.max(5000, options.timeoutMs ?? 10_000);
    this.ownsDispatcher = !options.dispatcher;
    this.dispatcher = options.dispatcher ?? new Pool(new URL(options.apiBase).origin, { connections: options.connections ?? 64, pipelining: 1 });
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  /** `GET /users/@me` */
  me(): Promise<{ id: string; username: string }> {
    return this.call('GET', '/users/@me');
  }

  /** `GET /gateway/bot`: the URL, suggested shards and session limits. */
  gatewayBot(): Promise<GatewayBotInfo> {
    return this.call('GET', '/gateway/bot');
  }

  /** One-to-one chat (C2C). */
  sendC2C(openid: string, body: MessageBody): Promise<SentMessage> {
    return this.call('POST', `/v2/users/${encodeURIComponent(openid)}/messages`, body);
  }

  /** Group chat. */
  sendGroup(groupOpenid: string, body: MessageBody): Promise<SentMessage> {
    return this.call('POST', `/v2/groups/${encodeURIComponent(groupOpenid)}/messages`, body);
  }

  /** Guild channel. */
  sendChannel(channelId: string, body: MessageBody): Promise<SentMessage> {
    return this.call('POST', `/channels/${encodeURIComponent(channelId)}/messages`, body);
  }

  /** Guild direct message (in the DM session's guild). */
  sendDm(guildId: string, body: MessageBody): Promise<SentMessage> {
    return this.call('POST', `/dms/${encodeURIComponent(guildId)}/messages`, body);
  }

  /** Open a guild DM session with a member. */
  createDm(recipientId: string, sourceGuildId: string): Promise<{ guild_id: string; channel_id: string }> {
    return this.call('POST', '/users/@me/dms', { recipient_id: recipientId, source_guild_id: sourceGuildId });
  }

  /** Any call; throws {@link QqApiError} for error answers, network errors as they are. */
  async call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, retried = false): Promise<T> {
    const token = await this.options.tokens.token();
    const response = await request(new URL(path, this.options.apiBase), {
      method,
      dispatcher: this.dispatcher,
      headers: {
        authorization: `QQBot ${token}`,
        'x-union-appid': this.options.appId,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    const text = await response.body.text();
    let data: unknown = undefined;
    if (text !== '') {
      try {
        data = JSON.parse(text);
      } catch {
        data = undefined;
      }
    }
    const info = (data ?? {}) as { code?: number; message?: string };
    const traceId = headerOf(response.headers, 'x-tps-trace-id');
    // 2xx is success; 202 with code 304023/304024 means accepted and waiting for the platform's audit.
    if (response.statusCode < 300) return data as T;
    if (!retried && (response.statusCode === 401 || (info.code !== undefined && TokenCodes.has(info.code)))) {
      this.options.tokens.invalidate();
      return this.call(method, path, body, true);
    }
    throw new QqApiError(response.statusCode, info.code, info.message ?? (text.slice(0, 200) || 'no message'), traceId, path);
  }
}
