import type { Logger } from '@switchboard/core';
import { globMatch, toEpochMs } from '../mapping.js';
import type { Severity, Update } from '../Update.js';
import { BaseSource, DefaultRequestTimeoutMs } from './FeedSource.js';
import { Waiters } from './Waiters.js';
import { ReconnectingSocket, type ReconnectingSocketOptions } from './ReconnectingSocket.js';

/** Options of {@link HomeAssistantSource}. */
export interface HomeAssistantSourceOptions {
  readonly name: string;
  /** `ws://host:8123/api/websocket` */
  readonly url: string;
  /** A long-lived access token (from `${ENV}`). */
  readonly token: string;
  /** Entity id globs to follow; all entities when empty. */
  readonly entities?: readonly string[];
  /** Severity by entity glob, then by state: `{ "binary_sensor.smoke*": { on: critical } }`. Others are info. */
  readonly severities?: Readonly<Record<string, Readonly<Record<string, Severity>>>>;
  readonly socket?: Omit<ReconnectingSocketOptions, 'url' | 'logger'>;
  readonly logger?: Logger;
}

interface HaState {
  readonly entity_id: string;
  readonly state: string;
  readonly attributes?: Record<string, unknown>;
  readonly last_changed?: string;
}

/**
 * Home Assistant's WebSocket API: `auth_required` → `auth` → `auth_ok`; then `subscribe_events`
 * for `state_changed` before `get_states` (subscribe first, so nothing falls between snapshot and
 * stream); `ping` on every liveness tick. Ids strictly increase per connection and restart at 1 on
 * a new one. There is no resume: after a reconnect the `get_states` snapshot resynchronises, and
 * unchanged states are not news. `auth_invalid` is fatal: the source stops and reports `failed`.
 * @see https://developers.home-assistant.io/docs/api/websocket
 */
export class HomeAssistantSource extends BaseSource {
  readonly kind = 'homeassistant';
  private readonly socket: ReconnectingSocket;
  private nextId = 1;
  private snapshotId = -1;
  private subscriptionId = -1;
  /** Answers of service calls on the current connection. */
  private readonly results = new Waiters();

  constructor(private readonly options: HomeAssistantSourceOptions) {
    super(options.name, options.logger);
    if (!options.token) throw new TypeError(`home assistant source ${options.name}: a token is required`);
    this.socket = new ReconnectingSocket(
      { ...options.socket, url: options.url, logger: this.logger },
      {
        onOpen: () => {
          if (this.socket.connections > 1) this.reconnected();
          this.nextId = 1;
          this.results.failAll('the connection to Home Assistant was replaced before it answered');
          this.setStatus('connecting', 'authenticating');
        },
        onMessage: (data) => this.onMessage(data),
        onClose: (code) => {
          this.results.failAll(`the connection to Home Assistant closed (${code}) before it answered; the call may or may not have run`);
          if (this.state !== 'failed') this.setStatus('reconnecting', `closed ${code}`);
        },
        onTick: () => this.command({ type: 'ping' }),
      },
    );
  }

  async start(): Promise<void> {
    this.setStatus('connecting');
    this.socket.start();
  }

  override async stop(): Promise<void> {
    this.results.failAll('the feed stopped before Home Assistant answered');
    this.socket.stop();
    await super.stop();
  }

  /**
   * Call a service over this feed's connection (`call_service`) and wait for its result.
   * @returns the result's `response` (services that return one), or undefined.
   * @throws FeedDownError when the feed is not connected; Error with Home Assistant's message when it refuses.
   */
  async callService(domain: string, service: string, data: Readonly<Record<string, unknown>>, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<unknown> {
    this.assertConnected();
    const id = this.command({ type: 'call_service', domain, service, service_data: data });
    const timeoutMs = options.timeoutMs ?? DefaultRequestTimeoutMs;
    const answer = await this.results.wait(
      (m) => {
        const frame = m as { id?: unknown; type?: unknown } | null;
        return frame?.type === 'result' && frame.id === id ? (m as { success?: boolean; result?: { response?: unknown }; error?: { code?: string; message?: string } }) : undefined;
      },
      timeoutMs,
      `Home Assistant did not answer within ${Math.round(timeoutMs / 1000)} s`,
      options.signal,
    );
    if (answer.success !== true) {
      const error = answer.error ?? {};
      throw new Error(`Home Assistant refused ${domain}.${service}: ${error.message ?? error.code ?? 'no reason given'}`);
    }
    return answer.result?.response ?? undefined;
  }

  private command(frame: Record<string, unknown>): number {
    const id = this.nextId++;
    this.socket.send({ id, ...frame });
    return id;
  }

  private onMessage(data: string): void {
    this.frameReceived();
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      this.malformed('not JSON', data);
      return;
    }
    // With coalesce_messages the server may batch several messages into one JSON array.
    for (const message of Array.isArray(parsed) ? parsed : [parsed]) this.onProtocolMessage(message);
  }

  private onProtocolMessage(message: unknown): void {
    if (!message || typeof message !== 'object') return this.malformed('message is not an object', message);
    const m = message as Record<string, unknown>;
    if (m.type === 'result' && this.results.size > 0 && this.results.offer(m)) return;
    switch (m.type) {
      case 'auth_required':
        this.socket.send({ type: 'auth', access_token: this.options.token });
        return;
      case 'auth_ok':
        this.socket.markHealthy();
        this.setStatus('connected', `Home Assistant ${String(m.ha_version ?? '')}`.trim());
        this.subscriptionId = this.command({ type: 'subscribe_events', event_type: 'state_changed' });
        this.snapshotId = this.command({ type: 'get_states' });
        return;
      case 'auth_invalid':
        // Retrying a bad token only gets us banned (HA's ip_ban); this needs a person.
        this.setStatus('failed', `authentication refused: ${String(m.message ?? 'invalid token')}`);
        this.socket.stop();
        return;
      case 'result':
        if (m.success === false) {
          const error = (m.error ?? {}) as { code?: string; message?: string };
          this.logger.warn({ id: m.id, code: error.code, message: error.message }, 'home assistant refused a command');
          return;
        }
        if (m.id === this.snapshotId && Array.isArray(m.result)) {
          for (const state of m.result) this.onState(state as HaState);
        }
        return;
      case 'event': {
        if (m.id !== this.subscriptionId) return;
        const event = m.event as { event_type?: string; data?: { new_state?: HaState | null } } | undefined;
        if (event?.event_type !== 'state_changed') return;
        const state = event.data?.new_state;
        // new_state is null when an entity is removed.
        if (state) this.onState(state);
        return;
      }
      case 'pong':
        return;
      default:
        // Unknown message types are ignored, as the protocol asks of clients.
        return;
    }
  }

  private onState(state: HaState): void {
    if (!state || typeof state.entity_id !== 'string' || typeof state.state !== 'string') {
      return this.malformed('state without entity_id or state', state);
    }
    const entities = this.options.entities ?? [];
    if (entities.length > 0 && !entities.some((glob) => globMatch(glob, state.entity_id))) return;
    const severity = this.severityOf(state.entity_id, state.state);
    const name = typeof state.attributes?.friendly_name === 'string' ? state.attributes.friendly_name : state.entity_id;
    const unit = typeof state.attributes?.unit_of_measurement === 'string' ? ` ${state.attributes.unit_of_measurement}` : '';
    const update: Update = {
      source: this.name,
      key: state.entity_id,
      topic: state.entity_id.split('.')[0] ?? 'entity',
      severity,
      state: state.state,
      text: `${name} is ${state.state}${unit}`,
      at: toEpochMs(state.last_changed, Date.now()),
      resolved: severity === 'info',
      labels: { friendly_name: name },
    };
    this.emit(update);
  }

  private severityOf(entity: string, state: string): Severity {
    for (const [glob, byState] of Object.entries(this.options.severities ?? {})) {
      if (globMatch(glob, entity) && byState[state]) return byState[state];
    }
    return 'info';
  }
}
