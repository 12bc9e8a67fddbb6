import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { boundPort, closeHttp, createBoundedServer, errorInfo, listenHttp, readBody, replyJson, silentLogger, type HttpBounds, type Logger } from '@switchboard/core';
import type { GatewayPayload } from '../types.js';
import { signValidation, verifyDispatch, webhookKeys, type WebhookKeys } from './signature.js';

/** Options of {@link WebhookReceiver}. */
export interface WebhookReceiverOptions {
  readonly appId: string;
  readonly secret: string;
  /** `host:port`; the platform calls only ports 80, 443, 8080 and 8443 (behind your TLS proxy). */
  readonly listen: { readonly host: string; readonly port: number };
  /** @defaultValue /qq */
  readonly path?: string;
  /** Dispatches whose X-Signature-Timestamp is further than this from our clock, either way, are refused. @defaultValue 120000 */
  readonly maxSkewMs?: number;
  /** Largest body read, in bytes. @defaultValue 262144 */
  readonly maxBodyBytes?: number;
  /** Header and request timeouts, connection cap. @defaultValue {@link DefaultHttpBounds} */
  readonly http?: HttpBounds;
  /**
   * Called for each verified dispatch (op 0); the platform gets its op 12 acknowledgement once the
   * returned promise settles (`d: 1`, "try again", when it rejects).
   */
  readonly onDispatch: (payload: GatewayPayload) => Promise<void> | void;
  readonly logger?: Logger;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

/** The default of {@link WebhookReceiverOptions.maxSkewMs}: two minutes. */
export const DefaultWebhookSkewMs = 120_000;

/**
 * What callback validation may ask us to sign: `event_ts` is a Unix time in digits and
 * `plain_token` a short token of letters and digits (`{"plain_token":"Arq0D5A61EgUu4OxUvOp","event_ts":"1725442341"}`).
 * A dispatch's signed text is the timestamp followed by a JSON object, so it always holds a `{`;
 * signing only these shapes means an op 13 answer can never pass as the signature of a dispatch.
 */
const EventTs = /^\d{1,20}$/;
const PlainToken = /^[A-Za-z0-9]{1,64}$/;
const Timestamp = /^\d{1,20}$/;

/**
 * The platform's HTTP callback: answers callback-URL validation (op 13) with the Ed25519 signature
 * of `event_ts + plain_token` for the documented shape only (anything else is a 400), verifies
 * `X-Signature-Ed25519` over timestamp + raw body before anything else happens to a dispatch (401
 * when unsigned, 403 when the timestamp is outside the skew or the signature is forged), and
 * acknowledges with op 12. The server bounds header and request times, connections and body size.
 * @see https://bot.q.qq.com/wiki/develop/api-v2/dev-prepare/interface-framework/event-emit.html
 * @see https://bot.q.qq.com/wiki/develop/api-v2/dev-prepare/interface-framework/sign.html
 */
export class WebhookReceiver {
  private readonly keys: WebhookKeys;
  private readonly logger: Logger;
  private readonly now: () => number;
  private server: Server | undefined;
  private warnedValidation = false;

  constructor(private readonly options: WebhookReceiverOptions) {
    this.keys = webhookKeys(options.secret);
    this.logger = (options.logger ?? silentLogger).child({ component: 'qq-webhook' });
    this.now = options.now ?? Date.now;
  }

  get port(): number {
    return boundPort(this.server);
  }

  async start(): Promise<void> {
    const server = createBoundedServer((req, res) => {
      this.onRequest(req, res).catch((error: unknown) => {
        this.logger.error(errorInfo(error), 'webhook request failed');
        if (!res.headersSent) replyJson(res, 500, { error: 'internal error' });
      });
    }, this.options.http);
    this.server = server;
    await listenHttp(server, this.options.listen.host, this.options.listen.port);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeHttp(server);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== (this.options.path ?? '/qq')) return replyJson(res, 404, { error: 'not found' });
    if (req.method !== 'POST') return replyJson(res, 405, { error: 'POST only' });
    const appId = req.headers['x-bot-appid'];
    if (appId !== undefined && appId !== this.options.appId) return replyJson(res, 403, { error: 'unknown app id' });
    const raw = await readBody(req, this.options.maxBodyBytes ?? 256 * 1024);
    if (raw === 'aborted') return;
    if (raw === 'too large') {
      res.shouldKeepAlive = false;
      return replyJson(res, 413, { error: 'body too large' });
    }
    const signature = req.headers['x-signature-ed25519'];
    const timestamp = req.headers['x-signature-timestamp'];
    const signed = typeof signature === 'string' && typeof timestamp === 'string';
    // Callback validation may come unsigned; it is the only request handled without a signature.
    if (!signed) return this.validation(parsePayload(raw), res);
    if (!Timestamp.test(timestamp)) return replyJson(res, 403, { error: 'bad timestamp' });
    const skew = this.options.maxSkewMs ?? DefaultWebhookSkewMs;
    if (Math.abs(this.now() - Number(timestamp) * 1000) > skew) return replyJson(res, 403, { error: 'timestamp outside the accepted skew' });
    if (!verifyDispatch(this.keys, timestamp, raw, signature)) {
      this.logger.warn({ remote: req.socket.remoteAddress }, 'refused a webhook with a bad signature');
      return replyJson(res, 403, { error: 'bad signature' });
    }
    const payload = parsePayload(raw);
    if (!payload) return replyJson(res, 400, { error: 'body is not a JSON payload with an op' });
    if (payload.op === 13) return this.validation(payload, res);
    if (payload.op === 0) {
      try {
        await this.options.onDispatch(payload);
      } catch (error) {
        this.logger.error(errorInfo(error), 'webhook dispatch failed; asking the platform to send it again');
        return replyJson(res, 200, { op: 12, d: 1 });
      }
    }
    return replyJson(res, 200, { op: 12, d: 0 });
  }

  /** Callback validation (op 13): sign `event_ts + plain_token`, for the documented shape only. */
  private validation(payload: GatewayPayload<Record<string, unknown>> | undefined, res: ServerResponse): void {
    if (payload?.op !== 13) return replyJson(res, 401, { error: 'unsigned' });
    const d = (payload.d ?? {}) as { plain_token?: unknown; event_ts?: unknown };
    const eventTs = typeof d.event_ts === 'number' && Number.isSafeInteger(d.event_ts) && d.event_ts >= 0 ? String(d.event_ts) : d.event_ts;
    const plainToken = d.plain_token;
    if (typeof eventTs !== 'string' || !EventTs.test(eventTs) || typeof plainToken !== 'string' || !PlainToken.test(plainToken)) {
      if (!this.warnedValidation) {
        this.warnedValidation = true;
        this.logger.warn({}, 'refused a callback validation (op 13) that is not of the documented shape: event_ts digits, plain_token letters and digits (warned once)');
      }
      return replyJson(res, 400, { error: 'op 13 needs event_ts (digits) and plain_token (letters and digits, at most 64)' });
    }
    return replyJson(res, 200, { plain_token: plainToken, signature: signValidation(this.keys, eventTs, plainToken) });
  }
}

/** The body as a payload: a JSON object with a numeric `op`; undefined for anything else. */
function parsePayload(raw: Buffer): GatewayPayload<Record<string, unknown>> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const payload = value as GatewayPayload<Record<string, unknown>>;
  return typeof payload.op === 'number' ? payload : undefined;
}
