import WebSocket from 'ws';
import { DefaultBackoff, definedOnly, Reconnector, silentLogger, type Logger } from '@switchboard/core';

/** Options of {@link ReconnectingSocket}. */
export interface ReconnectingSocketOptions {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Backoff scale and cap for reconnects (full jitter). */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  /** WebSocket ping every this often; a socket silent for twice this long is terminated. @defaultValue 25000 */
  readonly pingIntervalMs?: number;
  /** How long to wait for the connection to open. @defaultValue 10000 */
  readonly handshakeTimeoutMs?: number;
  /** Injected for tests. @defaultValue the `ws` package's WebSocket */
  readonly WebSocketImpl?: typeof WebSocket;
  readonly random?: () => number;
  readonly logger?: Logger;
}

/** Callbacks of the owner (a source that speaks a protocol on top). */
export interface SocketHandlers {
  /** Connected; a protocol sends its auth/subscribe frames here. */
  onOpen(): void;
  onMessage(data: string): void;
  /** The connection is gone; a reconnect follows unless the owner failed or stopped it. */
  onClose(code: number, reason: string): void;
  /** Called on every liveness tick while connected: protocols send their own heartbeat here. */
  onTick?(): void;
}

/** Defaults of {@link ReconnectingSocketOptions}. */
export const DefaultSocketOptions = {
  backoff: DefaultBackoff,
  pingIntervalMs: 25_000,
  handshakeTimeoutMs: 10_000,
} as const satisfies Partial<ReconnectingSocketOptions>;

type ResolvedSocketOptions = ReconnectingSocketOptions & Required<Pick<ReconnectingSocketOptions, 'backoff' | 'pingIntervalMs' | 'handshakeTimeoutMs'>>;

/**
 * A WebSocket client that stays connected: the core's {@link Reconnector} between attempts, a
 * WebSocket ping every interval, and `terminate()` when nothing (frame or pong) has arrived for two
 * intervals — a half-open connection otherwise looks alive forever. Backoff starts afresh only when
 * the owner calls {@link markHealthy} (after auth, or the first frame).
 */
export class ReconnectingSocket {
  private readonly options: ResolvedSocketOptions;
  private readonly logger: Logger;
  private readonly reconnector: Reconnector;
  private socket: WebSocket | undefined;
  private opened = 0;
  private tickTimer: NodeJS.Timeout | undefined;
  private lastActivity = 0;

  constructor(
    options: ReconnectingSocketOptions,
    private readonly handlers: SocketHandlers,
  ) {
    if (!/^wss?:\/\//.test(options.url)) throw new TypeError(`"${options.url}" is not a ws:// or wss:// URL`);
    this.options = { ...DefaultSocketOptions, ...definedOnly(options) } as ResolvedSocketOptions;
    this.logger = options.logger ?? silentLogger;
    this.reconnector = new Reconnector({
      connect: () => this.connect(),
      backoff: this.options.backoff,
      ...(options.random ? { random: options.random } : {}),
      logger: this.logger,
    });
  }

  /** Connections opened so far. */
  get connections(): number {
    return this.opened;
  }

  /** True while a socket is open. */
  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  start(): void {
    this.reconnector.start();
  }

  /** Close for good. */
  stop(): void {
    this.reconnector.stop();
    this.teardown(1000, 'stopping');
  }

  /** The connection works (authenticated, or data is flowing): the next drop starts backoff afresh. */
  markHealthy(): void {
    this.reconnector.healthy();
  }

  /** Send a JSON frame; false when not connected. */
  send(frame: unknown): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    return true;
  }

  /** Drop the current connection and reconnect (after backoff). */
  reconnect(reason: string): void {
    this.logger.info({ reason }, 'reconnecting');
    this.socket?.terminate();
  }

  private connect(): void {
    const Impl = this.options.WebSocketImpl ?? WebSocket;
    const socket = new Impl(this.options.url, {
      handshakeTimeout: this.options.handshakeTimeoutMs,
      // One message per event-loop turn: a feed that has piled up megabytes while the process was
      // busy is then taken in turn by turn, with journal flushes and deliveries in between, instead
      // of in one synchronous burst (libuv reads up to 32 chunks per wake-up). The receiver's
      // backlog pauses the socket, so TCP slows the feed down rather than memory filling up.
      allowSynchronousEvents: false,
      ...(this.options.headers ? { headers: { ...this.options.headers } } : {}),
    });
    this.socket = socket;
    socket.on('open', () => {
      this.opened++;
      this.lastActivity = Date.now();
      this.startTicks(socket);
      this.handlers.onOpen();
    });
    socket.on('message', (data, isBinary) => {
      this.lastActivity = Date.now();
      this.handlers.onMessage(isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString());
    });
    socket.on('pong', () => (this.lastActivity = Date.now()));
    socket.on('ping', () => (this.lastActivity = Date.now()));
    socket.on('error', (error) => this.logger.debug({ err: { message: error.message } }, 'socket error'));
    socket.on('close', (code, reason) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      clearInterval(this.tickTimer);
      this.handlers.onClose(code, reason.toString());
      this.scheduleReconnect();
    });
  }

  private startTicks(socket: WebSocket): void {
    clearInterval(this.tickTimer);
    const interval = this.options.pingIntervalMs;
    this.tickTimer = setInterval(() => {
      if (socket.readyState !== WebSocket.OPEN) return;
      if (Date.now() - this.lastActivity > 2 * interval) {
        // Half-open: the peer is gone but no FIN reached us. terminate() does not wait for a close handshake.
        this.logger.warn({ silentMs: Date.now() - this.lastActivity }, 'connection silent; terminating');
        socket.terminate();
        return;
      }
      socket.ping();
      this.handlers.onTick?.();
    }, interval);
    this.tickTimer.unref?.();
  }

  private scheduleReconnect(): void {
    const delay = this.reconnector.retry();
    if (delay !== undefined) this.logger.debug({ attempt: this.reconnector.attempt, delay }, 'reconnect scheduled');
  }

  private teardown(code: number, reason: string): void {
    clearInterval(this.tickTimer);
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    socket.removeAllListeners('close');
    socket.on('error', () => undefined);
    if (socket.readyState === WebSocket.OPEN) socket.close(code, reason);
    else socket.terminate();
  }
}
