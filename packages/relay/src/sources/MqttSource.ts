import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { DefaultBackoff, Reconnector, type Logger } from '@switchboard/core';
import { BaseSource, DefaultRequestTimeoutMs } from './FeedSource.js';
import { mapFrame, type FrameMapping } from './FrameMapping.js';

/** One subscription of an MQTT feed and how its messages become updates. */
export interface MqttSubscription {
  /** Topic filter, with `+` and `#` wildcards. */
  readonly filter: string;
  /**
   * Paths into `{ topic, topicParts, payload }`: e.g. device `topicParts[1]`, state `payload.state`.
   * JSON payloads are parsed; anything else is the payload string.
   */
  readonly mapping: FrameMapping;
}

/** Options of {@link MqttSource}. */
export interface MqttSourceOptions {
  readonly name: string;
  /** `ws://host:port/path`, `wss://…`, or `mqtt://host:port`. */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** Fixed client id; needed for a persistent session. */
  readonly clientId?: string;
  /** Keep a session on the broker (clean=false, QoS 1) so messages published while away are queued. @defaultValue false */
  readonly persistentSession?: boolean;
  readonly subscriptions: readonly MqttSubscription[];
  /** MQTT keepalive in seconds. @defaultValue 30 */
  readonly keepaliveSeconds?: number;
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  readonly logger?: Logger;
}

/**
 * MQTT (over WebSocket or TCP) with mqtt.js. Retained messages arrive on every (re)subscribe and
 * are the snapshot; the state store keeps unchanged ones from being news. mqtt.js reconnects on a
 * fixed period by default; here its timer is off and reconnects follow the core's {@link Reconnector}.
 * Keepalive PINGREQs detect a dead broker.
 */
export class MqttSource extends BaseSource {
  readonly kind = 'mqtt';
  private client: MqttClient | undefined;
  private readonly reconnector: Reconnector;
  private connects = 0;

  constructor(private readonly options: MqttSourceOptions) {
    super(options.name, options.logger);
    if (options.subscriptions.length === 0) throw new TypeError(`mqtt feed ${options.name}: at least one subscription is required`);
    if (options.persistentSession && !options.clientId) throw new TypeError(`mqtt feed ${options.name}: a persistent session needs a clientId`);
    // The first attempt makes the client; later ones ask it to reconnect.
    this.reconnector = new Reconnector({
      connect: () => {
        if (this.client) this.client.reconnect();
        else this.open();
      },
      backoff: options.backoff ?? DefaultBackoff,
      logger: this.logger,
    });
  }

  async start(): Promise<void> {
    this.setStatus('connecting');
    this.reconnector.start();
  }

  private open(): void {
    const o = this.options;
    const clientOptions: IClientOptions = {
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: o.keepaliveSeconds ?? 30,
      clean: !o.persistentSession,
      resubscribe: false,
      ...(o.clientId ? { clientId: o.clientId } : {}),
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
    };
    const client = mqtt.connect(o.url, clientOptions);
    this.client = client;
    client.on('connect', (ack) => {
      if (this.connects++ > 0) this.reconnected();
      this.reconnector.healthy();
      this.setStatus('connected', ack.sessionPresent ? 'session resumed' : undefined);
      const qos = o.persistentSession ? 1 : 0;
      client.subscribe(
        o.subscriptions.map((s) => s.filter),
        { qos },
        (error) => {
          if (error) this.logger.warn({ err: { message: error.message } }, 'subscribe refused');
        },
      );
    });
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('error', (error) => {
      // Bad credentials are not worth retrying: they need a person.
      const code = (error as { code?: number }).code;
      if (code === 4 || code === 5 || code === 134 || code === 135) {
        this.setStatus('failed', `broker refused the connection: ${error.message}`);
        this.reconnector.stop();
        client.end(true);
        return;
      }
      this.logger.debug({ err: { message: error.message } }, 'mqtt error');
    });
    client.on('close', () => {
      if (!this.reconnector.active) return;
      this.setStatus('reconnecting', 'connection closed');
      this.reconnector.retry();
    });
  }

  /**
   * Publish over this feed's client. Resolves once the broker has it: at once for QoS 0, on PUBACK
   * for QoS 1, on PUBCOMP for QoS 2.
   * @throws FeedDownError when the feed is not connected; Error when the broker does not acknowledge in time.
   */
  async publish(topic: string, payload: string, options: { qos?: 0 | 1 | 2; retain?: boolean; timeoutMs?: number } = {}): Promise<void> {
    this.assertConnected();
    const client = this.client!;
    const qos = options.qos ?? 1;
    const timeoutMs = options.timeoutMs ?? DefaultRequestTimeoutMs;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the broker did not acknowledge within ${Math.round(timeoutMs / 1000)} s; mqtt.js may still deliver it when the feed reconnects`)),
        timeoutMs,
      );
      timer.unref();
      client.publish(topic, payload, { qos, retain: options.retain ?? false }, (error) => {
        clearTimeout(timer);
        if (error) reject(new Error(`the broker refused the message: ${error.message}`));
        else resolve();
      });
    });
  }

  override async stop(): Promise<void> {
    this.reconnector.stop();
    await new Promise<void>((resolve) => (this.client ? this.client.end(true, {}, () => resolve()) : resolve()));
    await super.stop();
  }

  private onMessage(topic: string, payload: Buffer): void {
    this.frameReceived();
    const text = payload.toString('utf8');
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Plain-text payloads ("online", "23.5") stay strings.
    }
    const subscription = this.options.subscriptions.find((s) => topicMatches(s.filter, topic));
    if (!subscription) return;
    const item = { topic, topicParts: topic.split('/'), payload: parsed };
    const { updates, rejected } = mapFrame(item, subscription.mapping, this.name);
    for (const r of rejected) this.malformed(r.reason, { topic, payload: text });
    for (const update of updates) this.emit(update);
  }
}

/** MQTT topic filter matching (`+` one level, `#` the rest). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
