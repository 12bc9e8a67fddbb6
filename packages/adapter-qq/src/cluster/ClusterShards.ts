import type WebSocket from 'ws';
import { errorInfo, type Cluster, type ClusterQueue, type Logger } from '@switchboard/core';
import { TokenManager } from '../auth/TokenManager.js';
import type { QqConfig } from '../config.js';
import { intentBits } from '../gateway/closeCodes.js';
import { GatewayShard } from '../gateway/GatewayShard.js';
import { RestClient } from '../rest/RestClient.js';
import type { GatewayPayload } from '../types.js';
import { apiBaseOf, gatewayPlan, webhookReceiver, type GatewayPlan } from '../plan.js';
import type { WebhookReceiver } from '../webhook/WebhookReceiver.js';

/** What instances hand to the active one: a dispatch as the gateway or the webhook delivered it. */
export interface QueuedEvent {
  readonly payload: GatewayPayload;
  readonly shard?: number;
}

/** Options of {@link ClusterShards}. */
export interface ClusterShardsOptions {
  readonly config: QqConfig;
  readonly cluster: Cluster;
  readonly logger: Logger;
  /** How long a shard's lease lasts unrenewed: a dead instance's shards move within about this plus {@link tickMs}. @defaultValue 4000 */
  readonly leaseMs?: number;
  /** How often leases are renewed and free shards looked for. @defaultValue 1000 */
  readonly tickMs?: number;
  readonly WebSocketImpl?: typeof WebSocket;
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
}

/** A shard this instance runs: the seq of the last event that reached the queue, of session `sessionId`. */
interface HeldShard {
  readonly shard: GatewayShard;
  sessionId: string | undefined;
  forwarded: number | undefined;
  sent: Promise<void>;
}

/** How long a gateway session stays resumable by another instance. */
const SessionKeptMs = 10 * 60_000;

/** The cluster queue of one QQ app. */
export function eventQueue(cluster: Cluster, appId: string): ClusterQueue {
  return cluster.queue(`qq:${appId}`);
}

/**
 * The QQ work every instance of a shared store does (see `Plugin.cluster`): with the gateway, hold
 * a fair share of the shards by lease (`ceil(shards / instances)`), taking free ones (a dead
 * instance's) and giving back extra ones when instances join; with the webhook, receive and check
 * requests. Either way each event goes to the cluster queue, which the active instance's adapter
 * reads. A shard changes hands by resuming: its session id and the seq of the last event that
 * reached the queue are kept in the cluster state, so what arrived after it is replayed to the new
 * holder (the adapter drops what it has seen). Identifies take a start slot shared by every
 * instance, so the platform's `max_concurrency` per 5 s holds for all of them together.
 */
export class ClusterShards {
  private readonly tokens: TokenManager;
  private readonly rest: RestClient;
  private readonly queue: ClusterQueue;
  private readonly logger: Logger;
  private readonly held = new Map<number, HeldShard>();
  private readonly stopping = new AbortController();
  private receiver: WebhookReceiver | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private gateway: GatewayPlan | undefined;

  constructor(private readonly options: ClusterShardsOptions) {
    const { config } = options;
    this.logger = options.logger.child({ adapter: 'qq', component: 'cluster-shards' });
    this.queue = eventQueue(options.cluster, config.appId);
    this.tokens = new TokenManager({ appId: config.appId, secret: config.secret, tokenUrl: config.tokenUrl, logger: this.logger });
    this.rest = new RestClient({ appId: config.appId, apiBase: apiBaseOf(config), tokens: this.tokens, connections: 1 });
  }

  /** Shards this instance holds now. */
  get shards(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  async start(): Promise<void> {
    const { config } = this.options;
    if (config.transport === 'webhook') {
      // Answered once the event is in Redis: the platform sends it again otherwise.
      this.receiver = webhookReceiver(config, (payload) => this.queue.add({ payload } satisfies QueuedEvent), this.logger);
      await this.receiver.start();
      return;
    }
    this.gateway = await gatewayPlan(this.rest, config);
    await this.tick();
    this.timer = setInterval(() => {
      this.ticking = this.ticking.then(() => this.tick());
    }, this.options.tickMs ?? 1000);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    clearInterval(this.timer);
    await this.ticking;
    await this.receiver?.stop();
    const names = this.shards.map((i) => this.leaseName(i));
    for (const i of this.shards) await this.drop(i, true);
    await this.options.cluster.release(names).catch(() => undefined);
    this.tokens.stop();
    await this.rest.close();
  }

  private leaseName(shard: number): string {
    return `qq:${this.options.config.appId}:shard:${shard}`;
  }

  /** Renew what is held, take a fair share of what is free, give back what is over it. */
  private async tick(): Promise<void> {
    if (this.stopping.signal.aborted || !this.gateway) return;
    const { cluster } = this.options;
    const all = Array.from({ length: this.gateway.count }, (_, i) => i);
    try {
      const fair = Math.ceil(this.gateway.count / Math.max(1, await cluster.members()));
      const wanted = this.held.size < fair ? all : this.shards;
      const granted = await cluster.hold(wanted.map((i) => this.leaseName(i)), this.options.leaseMs ?? 4000);
      const now = all.filter((i) => granted.has(this.leaseName(i)));
      // Lost to another holder (its lease lapsed meanwhile): stop at once, its session is theirs now.
      for (const i of this.shards) if (!now.includes(i)) await this.drop(i, false);
      const fresh = now.filter((i) => !this.held.has(i));
      const taken = fresh.slice(0, Math.max(0, fair - this.held.size));
      const over = this.shards.slice(fair);
      for (const i of taken) await this.take(i);
      for (const i of over) await this.drop(i, true);
      const giveBack = [...fresh.filter((i) => !taken.includes(i)), ...over];
      if (giveBack.length > 0) await cluster.release(giveBack.map((i) => this.leaseName(i)));
      for (const [i, entry] of this.held) await this.saveSession(i, entry);
    } catch (error) {
      this.logger.warn(errorInfo(error), 'could not renew the shard leases; retrying');
    }
  }

  private async take(i: number): Promise<void> {
    const { config, cluster } = this.options;
    const gateway = this.gateway!;
    const session = await cluster.getState<{ sessionId?: string; seq?: number }>(this.leaseName(i));
    const shard = new GatewayShard({
      url: gateway.url,
      shard: [i, gateway.count],
      intents: intentBits(config.intents),
      token: () => this.tokens.token(),
      invalidateToken: () => this.tokens.invalidate(),
      onDispatch: (payload) => this.forward(i, payload),
      logger: this.logger,
      beforeIdentify: () => cluster.startSlot(`qq:${config.appId}:identify`, gateway.perWindow, 5000, this.stopping.signal),
      ...(session ? { session } : {}),
      ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
      ...(this.options.WebSocketImpl ? { WebSocketImpl: this.options.WebSocketImpl } : {}),
    });
    const entry: HeldShard = { shard, sessionId: session?.sessionId, forwarded: session?.seq, sent: Promise.resolve() };
    this.held.set(i, entry);
    shard.status$.subscribe((s) => {
      if (s.state !== 'stopped') this.logger.info({ shard: i, state: s.state, detail: s.detail }, 'gateway shard');
      if (s.state !== 'ready' || this.held.get(i) !== entry) return;
      // Resumable from its first moment: whatever comes after READY is replayed to the next holder if this one dies.
      const now = shard.session;
      if (now.sessionId !== entry.sessionId) {
        entry.sessionId = now.sessionId;
        entry.forwarded = now.seq;
      }
      this.saveSession(i, entry).catch((error: unknown) => this.logger.warn({ ...errorInfo(error), shard: i }, 'could not store the gateway session'));
    });
    this.logger.info({ shard: i, resume: session?.sessionId !== undefined }, 'holding a gateway shard');
    shard.start();
  }

  /** Hand an event to the queue; the shard's resumable seq moves on once it is stored, in order. */
  private forward(i: number, payload: GatewayPayload): void {
    const entry = this.held.get(i);
    if (!entry) return;
    const added = this.queue.add({ payload, shard: i } satisfies QueuedEvent);
    entry.sent = entry.sent
      .then(() => added)
      .then(
        () => {
          if (typeof payload.s === 'number') entry.forwarded = payload.s;
        },
        (error: unknown) => this.logger.error({ ...errorInfo(error), shard: i }, 'could not queue a gateway event; it is replayed to whoever resumes the shard'),
      );
  }

  private async drop(i: number, keepSession: boolean): Promise<void> {
    const entry = this.held.get(i);
    if (!entry) return;
    this.held.delete(i);
    entry.shard.stop();
    await entry.sent;
    if (keepSession) await this.saveSession(i, entry).catch(() => undefined);
    this.logger.info({ shard: i, handedOver: keepSession }, 'no longer holding a gateway shard');
  }

  private async saveSession(i: number, entry: HeldShard): Promise<void> {
    const { sessionId } = entry;
    if (sessionId === undefined || entry.forwarded === undefined) return;
    await this.options.cluster.setState(this.leaseName(i), { sessionId, seq: entry.forwarded }, SessionKeptMs);
  }
}
