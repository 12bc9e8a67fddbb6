import WebSocket from 'ws';
import type { Observable } from 'rxjs';
import { DefaultBackoff, Reconnector, silentLogger, StatusCell, type Logger } from '@switchboard/core';
import type { GatewayPayload } from '../types.js';
import { classifyClose } from './closeCodes.js';

/** Connection state of one shard. */
export interface ShardStatus {
  readonly shard: number;
  readonly state: 'connecting' | 'ready' | 'reconnecting' | 'stopped' | 'failed';
  readonly detail?: string;
  readonly at: number;
}

/** Options of {@link GatewayShard}. */
export interface GatewayShardOptions {
  readonly url: string;
  /** `[id, count]` */
  readonly shard: readonly [number, number];
  readonly intents: number;
  /** The current access token (refreshed by the token manager). */
  readonly token: () => Promise<string>;
  /** Called after 4004: the next token() must be a fresh one. */
  readonly invalidateToken?: () => void;
  readonly onDispatch: (payload: GatewayPayload) => void;
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  readonly WebSocketImpl?: typeof WebSocket;
  readonly random?: () => number;
  readonly logger?: Logger;
  /** A session to resume first (one another instance held: see `ClusterShards`). */
  readonly session?: { readonly sessionId?: string; readonly seq?: number };
  /** Waits for a start slot before each Identify (the platform's `max_concurrency`, across instances). */
  readonly beforeIdentify?: () => Promise<void>;
}

/**
 * One gateway session. Hello → Identify (or Resume with the stored session id and last seq);
 * heartbeat on the server's interval carrying the last seq; a heartbeat not acknowledged before
 * the next one is due marks the socket dead (half-open) and it is terminated. op 7 → reconnect and
 * resume; op 9 → forget the session and identify. Close codes go through {@link classifyClose}.
 * Reconnects follow the core's {@link Reconnector}: backoff starts afresh only after READY or
 * RESUMED, so a gateway that accepts and drops at once does not cause a tight loop.
 */
export class GatewayShard {
  private socket: WebSocket | undefined;
  private sessionId: string | undefined;
  private seq: number | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private acked = true;
  private readonly logger: Logger;
  private readonly reconnector: Reconnector;
  private readonly status: StatusCell<ShardStatus>;

  readonly status$: Observable<ShardStatus>;

  constructor(private readonly options: GatewayShardOptions) {
    this.logger = (options.logger ?? silentLogger).child({ shard: options.shard[0] });
    this.status = new StatusCell<ShardStatus>({ shard: options.shard[0] }, 'stopped');
    this.status$ = this.status.changes$;
    this.sessionId = options.session?.sessionId;
    this.seq = options.session?.seq;
    this.reconnector = new Reconnector({
      connect: () => this.connect(),
      backoff: options.backoff ?? DefaultBackoff,
      ...(options.random ? { random: options.random } : {}),
      logger: this.logger,
    });
  }

  /** The session this shard would resume, if any. */
  get session(): { readonly sessionId?: string; readonly seq?: number } {
    return { ...(this.sessionId ? { sessionId: this.sessionId } : {}), ...(this.seq !== undefined ? { seq: this.seq } : {}) };
  }

  start(): void {
    this.reconnector.start();
  }

  stop(): void {
    this.reconnector.stop();
    clearInterval(this.heartbeat);
    const socket = this.socket;
    this.socket = undefined;
    socket?.removeAllListeners('close');
    socket?.on('error', () => undefined);
    if (socket?.readyState === WebSocket.OPEN) socket.close(1000, 'stopping');
    else socket?.terminate();
    this.status.set('stopped');
    this.status.close();
  }

  private connect(): void {
    this.status.set(this.reconnector.attempt === 0 ? 'connecting' : 'reconnecting');
    const Impl = this.options.WebSocketImpl ?? WebSocket;
    const socket = new Impl(this.options.url, { handshakeTimeout: 30_000 });
    this.socket = socket;
    socket.on('message', (data) => {
      let payload: GatewayPayload;
      try {
        payload = JSON.parse(data.toString()) as GatewayPayload;
      } catch {
        this.logger.warn({}, 'gateway sent a frame that is not JSON; ignored');
        return;
      }
      void this.onPayload(socket, payload).catch((error: unknown) =>
        this.logger.error({ err: { message: (error as Error).message } }, 'gateway payload handling failed'),
      );
    });
    socket.on('error', (error) => this.logger.debug({ err: { message: error.message } }, 'gateway socket error'));
    socket.on('close', (code, reason) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      clearInterval(this.heartbeat);
      this.onClose(code, reason.toString());
    });
  }

  private async onPayload(socket: WebSocket, payload: GatewayPayload): Promise<void> {
    if (typeof payload.s === 'number') this.seq = payload.s;
    switch (payload.op) {
      case 10: {
        const interval = Number((payload.d as { heartbeat_interval?: number } | undefined)?.heartbeat_interval ?? 45_000);
        const token = `QQBot ${await this.options.token()}`;
        // Stopped, or on another socket, while the token came: this Hello is no one's now.
        if (this.socket !== socket) return;
        if (this.sessionId && this.seq !== undefined) {
          send(socket, { op: 6, d: { token, session_id: this.sessionId, seq: this.seq } });
        } else {
          this.sessionId = undefined;
          await this.options.beforeIdentify?.();
          if (this.socket !== socket) return;
          send(socket, {
            op: 2,
            d: { token, intents: this.options.intents, shard: [...this.options.shard], properties: { $os: process.platform, $browser: 'switchboard', $device: 'switchboard' } },
          });
        }
        this.startHeartbeat(socket, interval);
        return;
      }
      case 11:
        this.acked = true;
        return;
      case 1:
        // The server may ask for a heartbeat right away.
        send(socket, { op: 1, d: this.seq ?? null });
        return;
      case 7:
        this.logger.info({}, 'gateway asked to reconnect (op 7); resuming');
        socket.terminate();
        return;
      case 9:
        this.logger.warn({}, 'gateway invalidated the session (op 9); identifying again');
        this.sessionId = undefined;
        this.seq = undefined;
        socket.terminate();
        return;
      case 0: {
        if (payload.t === 'READY') {
          this.sessionId = (payload.d as { session_id?: string } | undefined)?.session_id;
          this.reconnector.healthy();
          this.status.set('ready', `session ${this.sessionId ?? '?'}`);
          return;
        }
        if (payload.t === 'RESUMED') {
          this.reconnector.healthy();
          this.status.set('ready', 'resumed');
          return;
        }
        this.options.onDispatch(payload);
        return;
      }
      default:
        return;
    }
  }

  private startHeartbeat(socket: WebSocket, interval: number): void {
    clearInterval(this.heartbeat);
    this.acked = true;
    this.heartbeat = setInterval(() => {
      if (!this.acked) {
        // The last heartbeat was never acknowledged: the connection is dead even if TCP has not noticed.
        this.logger.warn({ interval }, 'heartbeat not acknowledged; the connection is half-open; reconnecting');
        socket.terminate();
        return;
      }
      this.acked = false;
      send(socket, { op: 1, d: this.seq ?? null });
    }, interval);
    this.heartbeat.unref?.();
  }

  private onClose(code: number, reason: string): void {
    if (!this.reconnector.active) return;
    const { action, reason: meaning } = classifyClose(code);
    if (action === 'fatal') {
      this.reconnector.stop();
      this.status.set('failed', `gateway closed ${code}: ${meaning}${reason ? ` (${reason})` : ''}`);
      return;
    }
    if (action === 'identify') {
      this.sessionId = undefined;
      this.seq = undefined;
    }
    if (code === 4004) this.options.invalidateToken?.();
    const delay = this.reconnector.retry();
    this.status.set('reconnecting', `closed ${code}: ${meaning}; ${action} in ${delay}ms`);
  }
}

function send(socket: WebSocket, payload: GatewayPayload): void {
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(payload));
}
