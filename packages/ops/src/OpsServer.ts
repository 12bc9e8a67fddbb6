import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  boundPort,
  closeHttp,
  createBoundedServer,
  errorInfo,
  listenHttp,
  parseListen,
  replyJson,
  type Context,
  type Logger,
} from '@switchboard/core';
import type { Registry } from 'prom-client';
import type { HttpConfig } from './config.js';
import { notReady, type ReadinessSources } from './health.js';
import { jsonBody, WebApi, type ApiReply } from './web/api.js';
import { LiveEvents } from './web/LiveEvents.js';
import { Sessions, type WebSession } from './web/Sessions.js';
import type { StaticFile } from './web/static.js';

/** The session cookie's name. */
export const SessionCookie = 'sb_session';

/** What the server is built from. */
export interface OpsServerOptions {
  readonly ctx: Context;
  readonly config: HttpConfig;
  /** Undefined when `metrics: false`. */
  readonly metrics: Registry | undefined;
  /** Undefined when `console: false`. */
  readonly files: ReadonlyMap<string, StaticFile> | undefined;
  /** What `/readyz` looks at. */
  readonly readiness: ReadinessSources;
}

/** Headers of every answer: the page loads only its own files, is never framed, and sends no referrer. */
const SecurityHeaders = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

/**
 * The operations server: `/healthz`, `/readyz`, `/metrics` and the web console with its API, on
 * one bounded node:http server (the same limits as the webhook ingress).
 */
export class OpsServer {
  readonly sessions: Sessions;
  readonly live = new LiveEvents();
  readonly api: WebApi;
  private server: Server | undefined;
  private readonly logger: Logger;
  private readonly secure: boolean;

  constructor(private readonly options: OpsServerOptions) {
    this.logger = options.ctx.logger;
    this.sessions = new Sessions({ loginTtlMs: options.config.loginTtl, sessionTtlMs: options.config.sessionTtl });
    this.api = new WebApi(options.ctx);
    this.secure = options.config.publicUrl?.startsWith('https:') ?? false;
  }

  /** The port listened on (useful after `:0`). */
  get port(): number {
    return boundPort(this.server);
  }

  /** The address login links start with: `publicUrl`, or the listen address. */
  get baseUrl(): string {
    if (this.options.config.publicUrl) return this.options.config.publicUrl;
    let { host } = parseListen(this.options.config.listen);
    if (host === '0.0.0.0' || host === '::' || host === '') host = '127.0.0.1';
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  /** A one-time login link for `user`. The token rides in the fragment, which browsers never send to a server or a proxy log. */
  loginLink(user: string): { url: string; expiresAt: number } {
    const { token, expiresAt } = this.sessions.issue(user);
    return { url: `${this.baseUrl}/login#${token}`, expiresAt };
  }

  async start(): Promise<void> {
    const { host, port } = parseListen(this.options.config.listen);
    const server = createBoundedServer((req, res) => {
      this.route(req, res).catch((error: unknown) => {
        this.logger.error({ ...errorInfo(error), path: req.url?.split('?')[0] }, 'operations request failed');
        if (!res.headersSent) replyJson(res, 500, { error: 'internal error' });
        else res.end();
      });
    });
    await listenHttp(server, host, port);
    this.server = server;
    const publicNote = !this.options.config.publicUrl && (host === '0.0.0.0' || host === '::') ? '; set http.publicUrl so login links name an address people can open' : '';
    this.logger.info({ listen: `${host}:${this.port}` }, `operations server listening${publicNote}`);
  }

  async stop(): Promise<void> {
    this.live.close();
    if (this.server) await closeHttp(this.server);
    this.server = undefined;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    for (const [name, value] of Object.entries(SecurityHeaders)) res.setHeader(name, value);
    if ((path === '/healthz' || path === '/readyz') && method !== 'GET' && method !== 'HEAD') return this.methodNotAllowed(res, ['GET', 'HEAD']);
    if (path === '/healthz') return replyJson(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      const problems = await notReady(this.options.readiness);
      return replyJson(res, problems.length === 0 ? 200 : 503, problems.length === 0 ? { status: 'ready' } : { status: 'not ready', notReady: problems });
    }
    if (path === '/metrics' && this.options.metrics) {
      if (method !== 'GET') return this.methodNotAllowed(res, ['GET']);
      const text = await this.options.metrics.metrics();
      res.writeHead(200, { 'content-type': this.options.metrics.contentType, 'cache-control': 'no-store' });
      res.end(text);
      return;
    }
    const files = this.options.files;
    if (!files) return replyJson(res, 404, { error: 'not found' });
    if (path === '/login' && method === 'POST') return this.login(req, res);
    if (path.startsWith('/api/')) return this.apiRoute(req, res, method, path);
    const file = files.get(path);
    if (file && (method === 'GET' || method === 'HEAD')) {
      res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length, 'cache-control': 'no-cache' });
      res.end(method === 'HEAD' ? undefined : file.body);
      return;
    }
    replyJson(res, 404, { error: 'not found' });
  }

  /** `POST /login` `{ token }`: spend a one-time link, set the session cookie. */
  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const problem = this.crossSite(req) ?? this.notJson(req);
    if (problem) return replyJson(res, 403, { error: problem });
    const body = await jsonBody(req);
    if (typeof body === 'string') return replyJson(res, 400, { error: body });
    const session = this.sessions.redeem(String(body.token ?? ''));
    const user = session ? this.api.userOf(session) : undefined;
    if (!session || !user) {
      this.logger.warn({ from: req.socket.remoteAddress }, 'web login refused: unknown, used or expired link');
      return replyJson(res, 401, { error: 'This login link is not valid: it was used already, has expired, or was never issued. Send "web" to the bot for a new one.' });
    }
    this.logger.info({ user: user.name }, 'web console login');
    res.setHeader('set-cookie', this.cookie(session.id, Math.floor((session.expiresAt - Date.now()) / 1000)));
    replyJson(res, 200, { ok: true, user: user.name });
  }

  private async apiRoute(req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<void> {
    res.setHeader('cache-control', 'no-store');
    const session = this.sessions.get(cookieValue(req.headers.cookie, SessionCookie));
    const user = session ? this.api.userOf(session) : undefined;
    if (!session || !user) return replyJson(res, 401, { error: 'Not signed in: send "web" to the bot for a login link.' });
    if (method === 'GET') {
      const reply = await this.read(path, session, user, req, res);
      if (reply) replyJson(res, reply.status, reply.body);
      return;
    }
    if (method !== 'POST') return this.methodNotAllowed(res, ['GET', 'POST']);
    // Changes: same origin, JSON (a cross-site form cannot send it without a preflight we never allow), and the session's CSRF token.
    const problem = this.crossSite(req) ?? this.notJson(req) ?? (Sessions.csrfMatches(session, header(req, 'x-csrf-token')) ? undefined : 'missing or wrong CSRF token');
    if (problem) {
      this.logger.warn({ user: user.name, path }, `web change refused: ${problem}`);
      return replyJson(res, 403, { error: `Refused: ${problem}. Reload the page.` });
    }
    if (path === '/api/logout') {
      this.sessions.end(session.id);
      res.setHeader('set-cookie', this.cookie('', 0));
      return replyJson(res, 200, { ok: true });
    }
    const body = await jsonBody(req);
    if (typeof body === 'string') return replyJson(res, 400, { error: body });
    const reply = await this.change(path, user, body);
    replyJson(res, reply.status, reply.body);
    if (reply.status === 200) this.live.changed('audit');
  }

  private async read(path: string, session: WebSession, user: NonNullable<ReturnType<WebApi['userOf']>>, req: IncomingMessage, res: ServerResponse): Promise<ApiReply | undefined> {
    switch (path) {
      case '/api/session':
        return this.api.session(session, user);
      case '/api/alerts':
        return this.api.alerts(user);
      case '/api/silences':
        return this.api.silences(user);
      case '/api/feeds':
        return this.api.feeds(user);
      case '/api/users':
        return this.api.users(user);
      case '/api/deliveries':
        return this.api.deliveriesView(user);
      case '/api/audit':
        return this.api.audit(user);
      case '/api/events':
        if (!this.live.add(res)) return { status: 503, body: { error: 'too many live connections' } };
        req.socket.setTimeout(0);
        return undefined;
      default:
        return { status: 404, body: { error: 'not found' } };
    }
  }

  private change(path: string, user: NonNullable<ReturnType<WebApi['userOf']>>, body: Record<string, unknown>): Promise<ApiReply> {
    let match = /^\/api\/alerts\/(\d{1,9})\/([a-z]+)$/.exec(path);
    if (match) return this.api.alertAct(user, Number(match[1]), match[2]!, body);
    if (path === '/api/silences') return this.api.silence(user, body);
    match = /^\/api\/silences\/(\d{1,9})\/end$/.exec(path);
    if (match) return this.api.unsilence(user, Number(match[1]));
    match = /^\/api\/users\/([^/]{1,64})\/tier$/.exec(path);
    if (match) return this.api.setTier(user, decodeURIComponent(match[1]!), body);
    return Promise.resolve({ status: 404, body: { error: 'not found' } });
  }

  /** Why a state-changing request is not from our own page, or undefined when it is. */
  private crossSite(req: IncomingMessage): string | undefined {
    const origin = header(req, 'origin');
    const site = header(req, 'sec-fetch-site');
    if (site !== undefined && site !== 'same-origin') return `a ${site} request`;
    if (origin === undefined) return site === 'same-origin' ? undefined : 'no Origin header';
    const expected = new Set([`http://${req.headers.host ?? ''}`, `https://${req.headers.host ?? ''}`]);
    if (this.options.config.publicUrl) expected.add(new URL(this.options.config.publicUrl).origin);
    return expected.has(origin) ? undefined : `a request from ${origin.slice(0, 100)}`;
  }

  private notJson(req: IncomingMessage): string | undefined {
    return /^application\/json\b/i.test(header(req, 'content-type') ?? '') ? undefined : 'the body must be application/json';
  }

  private cookie(value: string, maxAgeSeconds: number): string {
    return `${SessionCookie}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.max(0, maxAgeSeconds)}${this.secure ? '; Secure' : ''}`;
  }

  private methodNotAllowed(res: ServerResponse, allowed: readonly string[]): void {
    res.setHeader('allow', allowed.join(', '));
    replyJson(res, 405, { error: `method not allowed (use ${allowed.join(' or ')})` });
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** One cookie's value from a Cookie header. */
export function cookieValue(cookies: string | undefined, name: string): string | undefined {
  for (const part of (cookies ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}
