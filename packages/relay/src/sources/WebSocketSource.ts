import type { Logger } from '@switchboard/core';
import { BaseSource, DefaultRequestTimeoutMs } from './FeedSource.js';
import { Waiters } from './Waiters.js';
import { frameMatches, mapFrame, type FrameMapping } from './FrameMapping.js';

/** Paths and the values they must hold. */
export type FrameMatcher = Readonly<Record<string, string | number | boolean>>;
import { ReconnectingSocket, type ReconnectingSocketOptions } from './ReconnectingSocket.js';

/** Options of {@link WebSocketSource}. */
export interface WebSocketSourceOptions {
  readonly name: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Frames to send once connected (auth, subscribe), in order. */
  readonly onOpen?: readonly unknown[];
  readonly mapping: FrameMapping;
  /** Connected only once a frame matching this arrives (an auth reply), within `readyTimeoutMs`. */
  readonly ready?: FrameMatcher;
  /** A frame matching this while waiting for ready drops the connection (auth refused). */
  readonly refused?: FrameMatcher;
  /** @defaultValue 10000 */
  readonly readyTimeoutMs?: number;
  /** Control frames to skip without counting them as malformed. */
  readonly ignore?: readonly FrameMatcher[];
  readonly socket?: Omit<ReconnectingSocketOptions, 'url' | 'headers' | 'logger'>;
  readonly logger?: Logger;
}

/**
 * Any JSON WebSocket feed (Node-RED, Zigbee2MQTT's frontend, a home-made hub): sends the configured
 * frames on open, then maps every frame to updates. After a reconnect the feed's own snapshot (if
 * it sends one) passes through the state store, so unchanged states are not news again.
 */
export class WebSocketSource extends BaseSource {
  readonly kind = 'websocket';
  private readonly socket: ReconnectingSocket;
  /** Waiting for the ready frame on the current connection. */
  private waiting = false;
  private readyTimer: NodeJS.Timeout | undefined;
  /** Acknowledgements actions wait for. */
  private readonly acks = new Waiters();

  constructor(private readonly options: WebSocketSourceOptions) {
    super(options.name, options.logger);
    this.socket = new ReconnectingSocket(
      {
        ...options.socket,
        url: options.url,
        ...(options.headers ? { headers: options.headers } : {}),
        logger: this.logger,
      },
      {
        onOpen: () => {
          if (this.socket.connections > 1) this.reconnected();
          for (const frame of options.onOpen ?? []) this.socket.send(frame);
          if (!options.ready) return this.setStatus('connected');
          // Open is not connected yet: the feed says when it is ready (auth accepted).
          this.waiting = true;
          const timeout = options.readyTimeoutMs ?? 10_000;
          this.readyTimer = setTimeout(() => this.refuse(`not ready ${timeout} ms after opening`), timeout);
          this.readyTimer.unref?.();
        },
        onMessage: (data) => this.onMessage(data),
        onClose: (code, reason) => {
          this.acks.failAll(`the connection to ${options.name} closed (${code}) before it acknowledged; the frame may or may not have arrived`);
          this.waiting = false;
          clearTimeout(this.readyTimer);
          this.setStatus('reconnecting', this.refusal ?? `closed ${code}${reason ? ` ${reason}` : ''}`);
          this.refusal = undefined;
        },
      },
    );
  }

  async start(): Promise<void> {
    this.setStatus('connecting');
    this.socket.start();
  }

  /** Why the last connection was dropped by us (no ready frame, or a refusal), for its status. */
  private refusal: string | undefined;

  private refuse(reason: string): void {
    this.waiting = false;
    clearTimeout(this.readyTimer);
    this.refusal = reason;
    this.socket.reconnect(reason);
  }

  /**
   * Send a frame on this feed's socket. With `expect`, wait for the first frame that matches it (an
   * acknowledgement), which is then not read as an update.
   * @returns the acknowledgement frame, or undefined without `expect`.
   * @throws FeedDownError when the feed is not connected; Error when no acknowledgement comes in time.
   */
  async sendFrame(frame: unknown, options: { expect?: FrameMatcher; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<unknown> {
    this.assertConnected();
    const { expect } = options;
    const timeoutMs = options.timeoutMs ?? DefaultRequestTimeoutMs;
    // Sent first, then waited for: an answer can only arrive on a later turn of the event loop.
    if (!this.socket.send(frame)) throw new Error(`the connection to ${this.name} closed before the frame was sent`);
    if (!expect) return undefined;
    return this.acks.wait((f) => (frameMatches(f, expect) ? f : undefined), timeoutMs, `no acknowledgement from ${this.name} within ${Math.round(timeoutMs / 1000)} s`, options.signal);
  }

  override async stop(): Promise<void> {
    this.acks.failAll('the feed stopped before it acknowledged');
    clearTimeout(this.readyTimer);
    this.socket.stop();
    await super.stop();
  }

  private onMessage(data: string): void {
    this.frameReceived();
    let frame: unknown;
    try {
      frame = JSON.parse(data);
    } catch {
      this.malformed('not JSON', data);
      return;
    }
    const { ready, refused, ignore } = this.options;
    if (this.waiting) {
      if (ready && frameMatches(frame, ready)) {
        this.waiting = false;
        clearTimeout(this.readyTimer);
        this.socket.markHealthy();
        this.setStatus('connected');
        return;
      }
      if (refused && frameMatches(frame, refused)) return this.refuse(`refused: ${JSON.stringify(frame).slice(0, 120)}`);
    }
    if (this.acks.size > 0 && this.acks.offer(frame)) return;
    if (ignore?.some((matcher) => frameMatches(frame, matcher))) return;
    if (ready && frameMatches(frame, ready)) return;
    const { updates, rejected } = mapFrame(frame, this.options.mapping, this.name);
    for (const r of rejected) this.malformed(r.reason, r.item);
    if (updates.length > 0) this.socket.markHealthy();
    for (const update of updates) this.emit(update);
  }
}
