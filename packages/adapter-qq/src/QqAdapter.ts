import { BehaviorSubject, Subject, type Observable } from 'rxjs';
import type { Dispatcher } from 'undici';
import type WebSocket from 'ws';
import {
  DedupeLog,
  errorInfo,
  parseListen,
  RecentIds,
  sleep,
  silentLogger,
  type Adapter,
  type AdapterContext,
  type AdapterLimits,
  type AdapterStatus,
  type Address,
  type Identity,
  type InboundMessage,
  type Logger,
  type SendRequest,
  type SendResult,
} from '@switchboard/core';
import { TokenManager } from './auth/TokenManager.js';
import type { QqConfig } from './config.js';
import { Contacts } from './Contacts.js';
import { decodeDispatch, QqPlatform, type Decoded } from './decode.js';
import { intentBits } from './gateway/closeCodes.js';
import { GatewayShard, type ShardStatus } from './gateway/GatewayShard.js';
import { eventQueue, type QueuedEvent } from './cluster/ClusterShards.js';
import { apiBaseOf, gatewayPlan, webhookReceiver, type GatewayPlan } from './plan.js';
import { ReplyWindows } from './ReplyWindows.js';
import { RestClient } from './rest/RestClient.js';
import { sendText } from './send.js';
import type { GatewayPayload } from './types.js';
import type { WebhookReceiver } from './webhook/WebhookReceiver.js';

/** How many of the bot's own sent messages are remembered for replies that quote them. */
const SentTextsKept = 2000;

/** Options of {@link QqAdapter}. */
export interface QqAdapterOptions {
  readonly config: QqConfig;
  readonly logger?: Logger;
  /** undici dispatcher for REST and token calls (tests, proxies). */
  readonly dispatcher?: Dispatcher;
  readonly WebSocketImpl?: typeof WebSocket;
  /** Gateway reconnect backoff. @defaultValue 1s doubling to 60s */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  /** How long `max_concurrency` sessions share a start slot. @defaultValue 5000 (the platform's rule) */
  readonly shardStartWindowMs?: number;
}

/** How long a queued message waits for its command to end before its record is let go anyway. */
const OutcomeWaitMs = 120_000;

/** To someone whose message an instance that died had begun to handle (both languages: the locale is the bridge's). */
const InterruptedText =
  '处理这条消息的实例中途停止了：命令可能已执行，也可能没有。请先确认，再决定是否重发。\n' +
  'The instance handling this message stopped midway: the command may or may not have run. Check before you send it again.';

/** Ids kept in memory when the adapter runs without a store (tests that build it by hand). */
const MemoryDedupe = 20_000;
/** Ids remembered in the store at most (about 100 s of 2,000 events a second). */
const StoredDedupe = 200_000;

/**
 * The QQ Bot Open Platform: access tokens, REST on undici, the gateway (sharded) or the webhook for
 * events, and reply windows for sending. Inbound events are de-duplicated by message id (window
 * events by event id), remembered in the bridge's store for longer than the webhook accepts a
 * timestamp: resume replays, the platform's own repeats and a signed request replayed after a
 * restart never run a command twice.
 */
export class QqAdapter implements Adapter {
  readonly name = QqPlatform;
  readonly limits: AdapterLimits;
  readonly tokens: TokenManager;
  readonly rest: RestClient;
  readonly windows = new ReplyWindows();
  /** Where each person can be reached, as learned from what the platform delivered. */
  readonly contacts: Contacts;
  private readonly config: QqConfig;
  private readonly logger: Logger;
  private readonly shards: GatewayShard[] = [];
  private receiver: WebhookReceiver | undefined;
  private seen: DedupeLog | undefined;
  private readonly recent = new RecentIds(MemoryDedupe);
  /** Admitted events are handed on in the order they arrived, each once its id is durable. */
  private intake: Promise<unknown> = Promise.resolve();
  private readonly inboundSubject = new Subject<InboundMessage>();
  private readonly statusSubject = new BehaviorSubject<AdapterStatus>({ adapter: QqPlatform, state: 'stopped', at: Date.now() });
  private readonly windowsSubject = new Subject<Address>();
  private readonly shardStates = new Map<number, ShardStatus>();
  private stopping = false;
  private stopConsuming: (() => Promise<void>) | undefined;

  readonly inbound$: Observable<InboundMessage> = this.inboundSubject.asObservable();
  readonly status$: Observable<AdapterStatus> = this.statusSubject.asObservable();
  readonly windows$: Observable<Address> = this.windowsSubject.asObservable();
  readonly addressChanges$: Observable<Identity>;

  constructor(private readonly options: QqAdapterOptions) {
    this.config = options.config;
    this.logger = (options.logger ?? silentLogger).child({ adapter: QqPlatform });
    this.contacts = new Contacts({ groupFallback: this.config.groupFallback, maxContacts: this.config.maxContacts, logger: this.logger });
    this.addressChanges$ = this.contacts.changes$;
    this.limits = {
      maxTextLength: this.config.maxTextLength,
      sendRatePerSecond: this.config.sendRate ?? Infinity,
      sendBurst: Math.max(1, Math.ceil(this.config.sendRate ?? 1)),
      perChat: { ratePerSecond: this.config.chatRate, burst: this.config.chatBurst },
      combine: this.config.combineHeld,
    };
    this.tokens = new TokenManager({
      appId: this.config.appId,
      secret: this.config.secret,
      tokenUrl: this.config.tokenUrl,
      logger: this.logger,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
    this.rest = new RestClient({
      appId: this.config.appId,
      apiBase: apiBaseOf(this.config),
      tokens: this.tokens,
      connections: this.config.restConnections,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
  }

  async start(context?: AdapterContext): Promise<void> {
    this.stopping = false;
    this.setStatus('starting', `connecting over ${this.config.transport}`);
    if (context) {
      // Longer than the webhook accepts a timestamp, so a captured request is refused either way.
      const maxAgeMs = Math.max(10 * 60_000, 4 * this.config.webhook.maxSkew);
      this.seen = new DedupeLog(context.store.journal(`qq-seen-${this.config.appId}`), { maxAgeMs, maxSize: StoredDedupe });
      await this.seen.load();
      await this.contacts.load(context.store, `qq-contacts-${this.config.appId}`);
    }
    await this.tokens.token();
    if (context?.cluster) return this.startConsuming(context.cluster, context);
    if (this.config.transport === 'webhook') return this.startWebhook();
    await this.startGateway();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const shard of this.shards.splice(0)) shard.stop();
    await this.receiver?.stop();
    await this.stopConsuming?.();
    await this.intake;
    await this.seen?.settled();
    await this.contacts.flush();
    this.contacts.close();
    this.tokens.stop();
    await this.rest.close();
    this.setStatus('stopped');
    this.inboundSubject.complete();
    this.statusSubject.complete();
    this.windowsSubject.complete();
  }

  /**
   * A `user_openid` (or an id linked to one by its union_openid) is reached in its one-to-one chat;
   * a guild user in their guild DM once they have one; a group member known only in a group in that
   * group if `groupFallback`, else nowhere (see {@link Contacts}).
   */
  addressFor(identity: Identity): Address | undefined {
    return this.contacts.addressFor(identity);
  }

  async send(request: SendRequest): Promise<SendResult> {
    const result = await sendText(this.rest, this.windows, request, { activeMessages: this.config.activeMessages, markdown: this.config.markdown, logger: this.logger });
    if (result.type === 'delivered' && result.platformId !== undefined) this.rememberSent(result.platformId, request.text);
    return result;
  }

  /** What the bot itself sent lately, by the platform's message id: a reply quoting one of them gets its text. */
  private readonly sentTexts = new Map<string, string>();

  private rememberSent(id: string, text: string): void {
    this.sentTexts.set(id, text);
    if (this.sentTexts.size > SentTextsKept) this.sentTexts.delete(this.sentTexts.keys().next().value!);
  }

  /**
   * Handle one dispatch from the gateway or the webhook: drop it when its id was seen already,
   * otherwise remember the id durably and then open its reply window and hand the message on.
   * Resolves (true when it was handed on) once that is done; rejects when the id could not be stored (the webhook then asks the
   * platform to send the event again).
   */
  dispatch(payload: GatewayPayload): Promise<boolean> {
    if (!payload.t) return Promise.resolve(false);
    return this.admit(decodeDispatch(payload.t, payload.d, payload.id), payload.id);
  }

  /** {@link dispatch} of an event decoded already (`eventId`: the payload's own id). */
  private admit(decoded: Decoded, eventId: string | undefined): Promise<boolean> {
    if (decoded.kind === 'ignored') return Promise.resolve(false);
    // Resume replays, the platform's repeats and replayed webhooks carry the same id.
    const id = decoded.kind === 'message' ? decoded.inbound.id : eventId;
    const admitted = id === undefined ? Promise.resolve(true) : this.seen ? this.seen.admit(id) : Promise.resolve(this.recent.add(id));
    const handled = this.intake.then(() => admitted).then((fresh) => {
      if (fresh) this.accept(decoded);
      return fresh;
    });
    this.intake = handled.catch(() => undefined);
    return handled;
  }

  private accept(decoded: Exclude<Decoded, { kind: 'ignored' }>): void {
    // Learned first: a notification waiting for this person finds their chat when the window opens.
    if (decoded.kind === 'message') this.contacts.learnMessage(decoded.inbound);
    else this.contacts.learnWindow(decoded.window.address);
    if (this.windows.open(decoded.window)) this.windowsSubject.next(decoded.window.address);
    if (decoded.kind !== 'message') return;
    const quotedId = decoded.inbound.quoted?.id;
    const quotedText = quotedId === undefined ? undefined : this.sentTexts.get(quotedId);
    this.inboundSubject.next(quotedText === undefined ? decoded.inbound : { ...decoded.inbound, quoted: { id: quotedId!, text: quotedText } });
  }

  /** A gateway event must not be lost to a full disk: hand it on even when its id could not be stored. */
  private dispatchFromGateway(payload: GatewayPayload): void {
    this.dispatch(payload).catch((error: unknown) => {
      this.logger.error(errorInfo(error), 'could not record a gateway event id; handling it anyway');
      if (!payload.t) return;
      const decoded = decodeDispatch(payload.t, payload.d, payload.id);
      if (decoded.kind !== 'ignored') this.accept(decoded);
    });
  }

  /**
   * Several instances share the store: every one of them holds gateway shards or receives webhooks
   * (see `ClusterShards`) and queues what arrives; this one, active, handles the queue. A record is
   * done once its message's command has ended (the dispatcher's outcome), so one in hand when this
   * instance dies goes to the next. There, a message whose id was stored already (its command had
   * begun) is not run again: its sender is told it may or may not have run.
   */
  private startConsuming(cluster: NonNullable<AdapterContext['cluster']>, context: AdapterContext): void {
    const waiting = new Map<string, () => void>();
    const outcomes = context.outcomes$?.subscribe((o) => waiting.get(o.messageId)?.());
    const stop = eventQueue(cluster, this.config.appId).consume(async (record, { redelivered }) => {
      // Not taken while nothing handles messages (before the dispatcher attaches, once the bridge stops intake): it stays queued.
      if (!this.inboundSubject.observed) throw new Error('the bridge is not taking messages now');
      const { payload } = record as QueuedEvent;
      if (!payload.t) return;
      const decoded = decodeDispatch(payload.t, payload.d, payload.id);
      if (decoded.kind !== 'message' || !outcomes) {
        await this.admit(decoded, payload.id);
        return;
      }
      const message = decoded.inbound;
      let timer: NodeJS.Timeout | undefined;
      const ended = new Promise<void>((resolve) => {
        waiting.set(message.id, resolve);
        timer = setTimeout(resolve, OutcomeWaitMs);
      });
      try {
        if (await this.admit(decoded, payload.id)) await ended;
        else if (redelivered) await this.tellInterrupted(message, context);
      } finally {
        clearTimeout(timer);
        waiting.delete(message.id);
      }
    });
    this.stopConsuming = async () => {
      await stop();
      outcomes?.unsubscribe();
    };
    this.setStatus('ready', `handling the events every instance receives over ${this.config.transport} (cluster queue)`);
  }

  private async tellInterrupted(message: InboundMessage, context: AdapterContext): Promise<void> {
    this.logger.warn({ message: message.id, chat: `${message.chat.kind}:${message.chat.id}` }, 'a message was being handled by an instance that stopped; not running it again');
    await context.enqueue?.({ to: message.chat, text: InterruptedText, replyContext: message.replyContext, dedupeKey: `interrupted:${message.id}` });
  }

  private async startWebhook(): Promise<void> {
    this.receiver = webhookReceiver(this.config, async (payload) => void (await this.dispatch(payload)), this.logger);
    await this.receiver.start();
    const { host } = parseListen(this.config.webhook.listen);
    this.setStatus('ready', `webhook listening on ${host}:${this.receiver.port}${this.config.webhook.path}`);
  }

  private async startGateway(): Promise<void> {
    let plan: GatewayPlan;
    try {
      plan = await gatewayPlan(this.rest, this.config);
    } catch (error) {
      this.setStatus('failed', (error as Error).message);
      throw error;
    }
    const { url, count, perWindow } = plan;
    const intents = intentBits(this.config.intents);
    for (let i = 0; i < count; i++) {
      const shard = new GatewayShard({
        url,
        shard: [i, count],
        intents,
        token: () => this.tokens.token(),
        invalidateToken: () => this.tokens.invalidate(),
        onDispatch: (payload) => {
          try {
            this.dispatchFromGateway(payload);
          } catch (error) {
            this.logger.error(errorInfo(error), 'dispatch failed');
          }
        },
        logger: this.logger,
        ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
        ...(this.options.WebSocketImpl ? { WebSocketImpl: this.options.WebSocketImpl } : {}),
      });
      shard.status$.subscribe((s) => this.onShardStatus(s, count));
      this.shards.push(shard);
    }
    // No more than max_concurrency sessions start per 5 seconds.
    for (let i = 0; i < this.shards.length; i++) {
      if (this.stopping) return;
      if (i > 0 && i % perWindow === 0) await sleep(this.options.shardStartWindowMs ?? 5000);
      this.shards[i]!.start();
    }
  }

  private onShardStatus(status: ShardStatus, count: number): void {
    this.shardStates.set(status.shard, status);
    const states = [...this.shardStates.values()];
    if (states.some((s) => s.state === 'failed')) {
      const failed = states.find((s) => s.state === 'failed')!;
      this.setStatus('failed', `shard ${failed.shard}: ${failed.detail ?? 'failed'}`);
    } else if (states.length === count && states.every((s) => s.state === 'ready')) {
      this.setStatus('ready', `${count} shard${count === 1 ? '' : 's'} connected`);
    } else if (states.some((s) => s.state === 'reconnecting')) {
      const r = states.find((s) => s.state === 'reconnecting')!;
      this.setStatus('reconnecting', `shard ${r.shard}: ${r.detail ?? ''}`.trim());
    }
  }

  private setStatus(state: AdapterStatus['state'], detail?: string): void {
    if (this.statusSubject.closed) return;
    const last = this.statusSubject.getValue();
    if (last.state === state && last.detail === detail) return;
    this.statusSubject.next({ adapter: QqPlatform, state, at: Date.now(), ...(detail !== undefined ? { detail } : {}) });
  }
}
