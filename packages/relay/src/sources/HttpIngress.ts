import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { boundPort, closeHttp, createBoundedServer, detach, errorInfo, listenHttp, parseListen, readBody, replyJson, silentLogger, type Logger } from '@switchboard/core';

/** A request as a webhook handler sees it: method, query, headers and the raw body. */
export interface IngressRequest {
  readonly method: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

/** What a handler answers: a status and a JSON body. */
export interface IngressResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A request before its body is read. */
export type IngressHead = Omit<IngressRequest, 'body'>;

/**
 * Handles one path, in two steps: `admit` sees the request line and headers and may answer at once
 * (a wrong token, a wrong method or content type) before a byte of the body is read; `handle`
 * gets the whole request.
 */
export interface IngressHandler {
  admit(head: IngressHead): IngressResponse | undefined;
  handle(request: IngressRequest): IngressResponse;
}

/** Largest body accepted; pushers send small JSON. */
export const MaxBodyBytes = 256 * 1024;

/**
 * One HTTP server on one listen address, routing by exact path to webhook sources. Several sources
 * may share a port. Answers 404 for unknown paths, lets each handler refuse from the headers alone
 * (so an unauthenticated client never gets to send a body), and 413 for oversized bodies. The
 * server is the core's bounded one: header and request timeouts, a connection cap.
 */
export class HttpIngress {
  private readonly handlers = new Map<string, IngressHandler>();
  private server: Server | undefined;
  private readonly logger: Logger;

  constructor(
    readonly listen: string,
    logger: Logger = silentLogger,
  ) {
    parseListen(listen);
    this.logger = logger.child({ ingress: listen });
  }

  /** Route `path` to `handler`. @returns a disposer. */
  route(path: string, handler: IngressHandler): () => void {
    if (!path.startsWith('/')) throw new TypeError(`webhook path "${path}" must start with /`);
    if (this.handlers.has(path)) throw new Error(`two webhook feeds use ${this.listen}${path}`);
    this.handlers.set(path, handler);
    return () => this.handlers.delete(path);
  }

  /** The port actually bound (useful with port 0). */
  get port(): number {
    return boundPort(this.server);
  }

  async start(): Promise<void> {
    if (this.server) return;
    const { host, port } = parseListen(this.listen);
    const server = createBoundedServer((req, res) =>
      detach(this.onRequest(req, res), (error) => {
        this.logger.error(errorInfo(error), 'webhook request failed');
        res.destroy();
      }),
    );
    this.server = server;
    await listenHttp(server, host, port);
    this.logger.info({ port: this.port }, 'webhook ingress listening');
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeHttp(server);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://ingress');
    const handler = this.handlers.get(url.pathname);
    if (!handler) return reply(res, { status: 404, body: { error: `no webhook at ${url.pathname}` } });
    const head: IngressHead = { method: req.method ?? 'GET', query: url.searchParams, headers: req.headers };
    let refused: IngressResponse | undefined;
    try {
      refused = handler.admit(head);
    } catch (error) {
      this.logger.error({ err: { message: (error as Error).message } }, 'webhook handler failed');
      refused = { status: 500, body: { error: 'internal error' } };
    }
    if (refused) {
      // Answered without reading the body; the connection is not kept for a body nobody wants.
      res.setHeader('connection', 'close');
      return reply(res, refused);
    }
    const body = await readBody(req, MaxBodyBytes);
    if (body === 'aborted') return;
    if (body === 'too large') return reply(res, { status: 413, body: { error: `body larger than ${MaxBodyBytes} bytes` } });
    let response: IngressResponse;
    try {
      response = handler.handle({ ...head, body });
    } catch (error) {
      this.logger.error({ err: { message: (error as Error).message } }, 'webhook handler failed');
      response = { status: 500, body: { error: 'internal error' } };
    }
    reply(res, response);
  }
}

function reply(res: ServerResponse, response: IngressResponse): void {
  replyJson(res, response.status, response.body);
}

