import { request, type Dispatcher } from 'undici';
import { errorInfo, secrets, silentLogger, type Logger } from '@switchboard/core';
import { QqApiError } from '../rest/QqApiError.js';

/** Options of {@link TokenManager}. */
export interface TokenManagerOptions {
  readonly appId: string;
  readonly secret: string;
  /** @defaultValue https://bots.qq.com/app/getAppAccessToken */
  readonly tokenUrl: string;
  readonly dispatcher?: Dispatcher;
  /**
   * Refresh this long before expiry. The platform hands out a new token only within the last 60 s
   * of the old one, and the old one stays valid for those 60 s: refreshing 40 s ahead lands inside
   * that overlap, so no call ever carries an expired token. @defaultValue 40000
   */
  readonly refreshAheadMs?: number;
  readonly logger?: Logger;
}

/**
 * AppID + AppSecret → access token, cached, refreshed ahead of expiry in the background, one
 * refresh in flight at a time. The secret and the token never appear in logs or errors.
 * @see https://bot.q.qq.com/wiki/develop/api-v2/dev-prepare/interface-framework/api-use.html
 */
export class TokenManager {
  private current: { token: string; expiresAt: number } | undefined;
  private inflight: Promise<string> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly logger: Logger;
  private stopped = false;
  /** Refreshes done (for tests and status). */
  refreshes = 0;

  constructor(private readonly options: TokenManagerOptions) {
    if (!options.appId) throw new TypeError('QQ appId is required');
    if (!options.secret) throw new TypeError('QQ secret is required');
    secrets.add(options.secret);
    this.logger = (options.logger ?? silentLogger).child({ component: 'qq-token' });
  }

  /** A valid access token, fetching one when there is none (or it is about to expire). */
  async token(): Promise<string> {
    const c = this.current;
    if (c && Date.now() < c.expiresAt - (this.options.refreshAheadMs ?? 40_000) / 2) return c.token;
    return this.refresh();
  }

  /** Forget the token (after a 401 / 11244); the next call fetches a new one. */
  invalidate(): void {
    this.current = undefined;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Fetch a new token now; concurrent callers share one request. */
  refresh(): Promise<string> {
    this.inflight ??= this.fetchToken().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async fetchToken(): Promise<string> {
    const { statusCode, headers, body } = await request(this.options.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appId: this.options.appId, clientSecret: this.options.secret }),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
      ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
    });
    const text = await body.text();
    let data: { access_token?: string; expires_in?: string | number; code?: number; message?: string } = {};
    try {
      data = JSON.parse(text) as typeof data;
    } catch {
      // fall through: reported below without echoing the body (it could hold a token)
    }
    const traceId = headerOf(headers, 'x-tps-trace-id');
    if (statusCode >= 300 || !data.access_token) {
      throw new QqApiError(statusCode, data.code, data.message ?? 'no access_token in the answer', traceId, '/app/getAppAccessToken');
    }
    // expires_in arrives as a string ("7200") although documented as a number.
    const seconds = Number(data.expires_in);
    const lifetime = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 7_200_000;
    // Masked in every output from the moment it exists.
    secrets.add(data.access_token);
    this.current = { token: data.access_token, expiresAt: Date.now() + lifetime };
    this.refreshes++;
    this.schedule(lifetime);
    this.logger.debug({ expiresInMs: lifetime }, 'access token refreshed');
    return data.access_token;
  }

  private schedule(lifetime: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    const ahead = this.options.refreshAheadMs ?? 40_000;
    this.timer = setTimeout(() => {
      this.refresh().catch((error: unknown) => {
        this.logger.warn(errorInfo(error), 'background token refresh failed; retrying in 5s');
        this.timer = setTimeout(() => void this.refresh().catch(() => undefined), 5000);
        this.timer.unref?.();
      });
    }, Math.max(1000, lifetime - ahead));
    this.timer.unref?.();
  }
}

/** A header value, case-insensitively. */
export function headerOf(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}
