import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '@switchboard/core';
import { BaseSource } from './FeedSource.js';
import type { FrameMapping } from './FrameMapping.js';
import type { HttpIngress, IngressRequest, IngressResponse } from './HttpIngress.js';
import { decodeAlertmanager, decodeEasyCon, decodeGeneric, parseJsonBody, type Decoded } from './webhookFormats.js';

/** Body formats a webhook feed understands. */
export type WebhookFormat = 'generic' | 'alertmanager' | 'easycon';

/** Options of {@link WebhookSource}. */
export interface WebhookSourceOptions {
  readonly name: string;
  readonly ingress: HttpIngress;
  readonly path: string;
  /** Required bearer token (`Authorization: Bearer …`; `?token=` also works for GET-only pushers). */
  readonly token: string;
  readonly format: WebhookFormat;
  /** For `generic`: how to read the body. */
  readonly mapping: FrameMapping;
  readonly logger?: Logger;
}

/**
 * An HTTP endpoint for pushers that cannot hold a socket. Every request must carry the token;
 * anything else is refused with 401 before its body is read as data.
 */
export class WebhookSource extends BaseSource {
  readonly kind = 'webhook';
  private dispose: (() => void) | undefined;
  private readonly token: Buffer;

  constructor(private readonly options: WebhookSourceOptions) {
    super(options.name, options.logger);
    if (!options.token) throw new TypeError(`webhook feed ${options.name}: a token is required`);
    this.token = Buffer.from(options.token);
  }

  async start(): Promise<void> {
    this.dispose = this.options.ingress.route(this.options.path, (request) => this.handle(request));
    this.setStatus('connected', `listening on ${this.options.ingress.listen}${this.options.path}`);
  }

  override async stop(): Promise<void> {
    this.dispose?.();
    await super.stop();
  }

  private handle(request: IngressRequest): IngressResponse {
    if (!this.authorised(request)) return { status: 401, body: { error: 'missing or wrong token' } };
    if (request.method !== 'POST' && !(request.method === 'GET' && this.options.format === 'easycon')) {
      return { status: 405, body: { error: `${request.method} not allowed; POST a JSON body` } };
    }
    this.frameReceived();
    let body: unknown;
    try {
      body = parseJsonBody(request.body);
    } catch {
      this.malformed('body is not JSON', request.body.toString('utf8'));
      return { status: 400, body: { error: 'body is not valid JSON' } };
    }
    const decoded = this.decode(request, body);
    if ('error' in decoded) {
      this.malformed(decoded.error, body);
      return { status: 400, body: { error: decoded.error } };
    }
    for (const update of decoded.updates) this.emit(update);
    return { status: 202, body: { accepted: decoded.updates.length } };
  }

  private decode(request: IngressRequest, body: unknown): Decoded {
    switch (this.options.format) {
      case 'alertmanager':
        return decodeAlertmanager(body, this.name);
      case 'easycon':
        return decodeEasyCon(request.method, request.query, body, this.name);
      default:
        return decodeGeneric(body, this.options.mapping, this.name);
    }
  }

  private authorised(request: IngressRequest): boolean {
    const header = request.headers.authorization;
    const given = typeof header === 'string' && /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, '') : request.query.get('token');
    if (!given) return false;
    const candidate = Buffer.from(given);
    return candidate.length === this.token.length && timingSafeEqual(candidate, this.token);
  }
}
