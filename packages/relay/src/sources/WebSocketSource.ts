import type { Logger } from '@switchboard/core';
import { BaseSource } from './FeedSource.js';
import { mapFrame, type FrameMapping } from './FrameMapping.js';
import { ReconnectingSocket, type ReconnectingSocketOptions } from './ReconnectingSocket.js';

/** Options of {@link WebSocketSource}. */
export interface WebSocketSourceOptions {
  readonly name: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Frames to send once connected (auth, subscribe), in order. */
  readonly onOpen?: readonly unknown[];
  readonly mapping: FrameMapping;
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
          this.setStatus('connected');
          for (const frame of options.onOpen ?? []) this.socket.send(frame);
        },
        onMessage: (data) => this.onMessage(data),
        onClose: (code, reason) => this.setStatus('reconnecting', `closed ${code}${reason ? ` ${reason}` : ''}`),
      },
    );
  }

  async start(): Promise<void> {
    this.setStatus('connecting');
    this.socket.start();
  }

  override async stop(): Promise<void> {
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
    const { updates, rejected } = mapFrame(frame, this.options.mapping, this.name);
    for (const r of rejected) this.malformed(r.reason, r.item);
    if (updates.length > 0) this.socket.markHealthy();
    for (const update of updates) this.emit(update);
  }
}
