import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { boundPort, closeHttp, listenHttp, readBody, replyJson, silentLogger, type Logger } from '@switchboard/core';
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
  /** Dispatches older than this (by X-Signature-Timestamp) are refused as replays. @defaultValue 300000 */
  readonly maxSkewMs?: number;
  /** Called for each verified dispatch (op 0). */
  readonly onDispatch: (payload: GatewayPayload) => void;
  readonly logger?: Logger;
}

const MaxBody = 1024 * 1024;

/**
 * The platform's HTTP callback: answers callback-URL validation (op 13) with the Ed25519
 * signature of `event_ts + plain_token`, verifies `X-Signature-Ed25519` over timestamp + raw body on
 * every dispatch (401 when unsigned, 403 when stale or forged), and acknowledges with op 12.
 * @see https://bot.q.qq.com/wiki/develop/api-v2/dev-prepare/interface-framework/event-emit.html
 */
export class WebhookReceiver {
  private readonly keys: WebhookKeys;
  private readonly logger: Logger;
  private server: Server | undefined;

  constructor(private readonly options: WebhookReceiverOptions) {
    this.keys = webhookKeys(options.secret);
    this.logger = (options.logger ?? silentLogger).child({ component: 'qq-webhook' });
  }

  get port(): number {
    return boundPort(this.server);
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.onRequest(req, res));
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
    const raw = await readBody(req, MaxBody);
    if (raw === 'aborted') return;
    if (raw === 'too large') return replyJson(res, 413, { error: 'body too large' });
    let payload: GatewayPayload<Record<string, unknown>>;
    try {
      payload = JSON.parse(raw.toString('utf8')) as typeof payload;
    } catch {
      return replyJson(res, 400, { error: 'body is not JSON' });
    }
    if (payload.op === 13) {
      const plainToken = String(payload.d?.plain_token ?? '');
      const eventTs = String(payload.d?.event_ts ?? '');
      if (!plainToken || !eventTs) return replyJson(res, 400, { error: 'op 13 without plain_token or event_ts' });
      return replyJson(res, 200, { plain_token: plainToken, signature: signValidation(this.keys, eventTs, plainToken) });
    }
    const signature = req.headers['x-signature-ed25519'];
    const timestamp = req.headers['x-signature-timestamp'];
    if (typeof signature !== 'string' || typeof timestamp !== 'string') return replyJson(res, 401, { error: 'unsigned' });
    const seconds = Number(timestamp);
    const skew = this.options.maxSkewMs ?? 300_000;
    if (!Number.isFinite(seconds) || Math.abs(Date.now() - seconds * 1000) > skew) return replyJson(res, 403, { error: 'stale or bad timestamp' });
    if (!verifyDispatch(this.keys, timestamp, raw, signature)) {
      this.logger.warn({ remote: req.socket.remoteAddress }, 'refused a webhook with a bad signature');
      return replyJson(res, 403, { error: 'bad signature' });
    }
    if (payload.op === 0) {
      try {
        this.options.onDispatch(payload);
      } catch (error) {
        this.logger.error({ err: { message: (error as Error).message } }, 'webhook dispatch failed');
        return replyJson(res, 200, { op: 12, d: 1 });
      }
    }
    return replyJson(res, 200, { op: 12, d: 0 });
  }
}

