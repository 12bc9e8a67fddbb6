import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '@switchboard/core';
import { BaseSource } from './FeedSource.js';
import type { FrameMapping } from './FrameMapping.js';
import type { HttpIngress, IngressHead, IngressRequest, IngressResponse } from './HttpIngress.js';
import { decodeAlertmanager, decodeEasyCon, decodeGeneric, parseJsonBody, type Decoded } from './webhookFormats.js';

/** Body formats a webhook feed understands. */
export type WebhookFormat = 'generic' | 'alertmanager' | 'easycon';

/** Options of {@link WebhookSource}. */
export interface WebhookSourceOptions {
  readonly name: string;
  readonly ingress: HttpIngress;
  readonly path: string;
  /** Required bearer token (`Authorization: Bearer …`; `?token=` only on GET, for GET-only pushers, unless `queryToken`). */
  readonly token: string;
  /** Accept `?token=` on POST too (for pushers that cannot set a header). @defaultValue false */
  readonly queryToken?: boolean;
  readonly format: WebhookFormat;
  /** For `generic`: how to read the body. */
  readonly mapping: FrameMapping;
  readonly logger?: Logger;
}

/**
 * An HTTP endpoint for pushers that cannot hold a socket. Every request must carry the token; a
 * wrong one is refused with 401 from the headers, before any of the body is read, and so are a
 * wrong method (405) and a body that is not JSON by its Content-Type (415).
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
    this.dispose = this.options.ingress.route(this.options.path, {
      admit: (head) => this.admit(head),
      handle: (request) => this.handle(request),
    });
    this.setStatus('connected', `listening on ${this.options.ingress.listen}${this.options.path}`);
  }

  override async stop(): Promise<void> {
    this.dispose?.();
    await super.stop();
  }

  /** Everything that can be refused from the headers: token, method, content type. */
  private admit(head: IngressHead): IngressResponse | undefined {
    if (!this.authorised(head)) return { status: 401, body: { error: 'missing or wrong token' } };
    const get = head.method === 'GET' && this.options.format === 'easycon';
    if (head.method !== 'POST' && !get) {
      return { status: 405, body: { error: `${head.method} not allowed; POST a JSON body` } };
    }
    if (head.method === 'POST') {
      const type = String(head.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json' && !type.endsWith('+json')) {
        return { status: 415, body: { error: `Content-Type must be application/json (got ${type === '' ? 'none' : JSON.stringify(type.slice(0, 64))})` } };
      }
    }
    return undefined;
  }

  private handle(request: IngressRequest): IngressResponse {
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

  private authorised(head: IngressHead): boolean {
    const header = head.headers.authorization;
    const queryAllowed = head.method === 'GET' || this.options.queryToken === true;
    const given = typeof header === 'string' && /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, '') : queryAllowed ? head.query.get('token') : null;
    if (!given) return false;
    const candidate = Buffer.from(given);
    return candidate.length === this.token.length && timingSafeEqual(candidate, this.token);
  }
}
