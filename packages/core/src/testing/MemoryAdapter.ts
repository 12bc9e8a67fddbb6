import { BehaviorSubject, Subject, type Observable } from 'rxjs';
import type { Address, Identity } from '../domain/address.js';
import type { Adapter, AdapterLimits, AdapterStatus, SendRequest } from '../domain/Adapter.js';
import type { InboundMessage, SendResult } from '../domain/messages.js';

/** Options of {@link MemoryAdapter}. */
export interface MemoryAdapterOptions {
  /** @defaultValue 'memory' */
  readonly name?: string;
  /** @defaultValue 2000 characters, no rate limit */
  readonly limits?: AdapterLimits;
  /** Decide each send's result (default: delivered). Throwing simulates a network fault. */
  readonly respond?: (request: SendRequest) => SendResult | Promise<SendResult>;
  /** Keep every request in {@link MemoryAdapter.delivered} and {@link MemoryAdapter.attempts}. Benchmarks turn it off. @defaultValue true */
  readonly record?: boolean;
  /** Where a person is reached directly. @defaultValue their id as a `dm` chat */
  readonly addressFor?: (identity: Identity) => Address | undefined;
}

/** What {@link MemoryAdapter.inject} needs; the rest is filled in. */
export interface InjectedMessage {
  readonly from: string;
  readonly text: string;
  readonly chat?: Address;
  readonly id?: string;
  readonly mentionsBot?: boolean;
  readonly replyContext?: unknown;
  /** The message this one replies to (as a platform's quote or reference gives it). */
  readonly quoted?: InboundMessage['quoted'];
}

/**
 * An adapter that lives in memory: inject inbound messages, script send results, read what was sent.
 * For tests, benchmarks and embedding without a platform.
 */
export class MemoryAdapter implements Adapter {
  readonly name: string;
  readonly limits: AdapterLimits;
  /** Every request that was answered `delivered`, in delivery order. */
  readonly delivered: SendRequest[] = [];
  /** Every send attempt, whatever its result. */
  readonly attempts: SendRequest[] = [];
  private readonly respond: (request: SendRequest) => SendResult | Promise<SendResult>;
  private readonly inboundSubject = new Subject<InboundMessage>();
  private readonly statusSubject: BehaviorSubject<AdapterStatus>;
  private readonly windowsSubject = new Subject<Address>();
  private readonly deliveredSubject = new Subject<SendRequest>();
  private seq = 0;
  private readonly record: boolean;
  /** Number of requests answered `delivered`, also when not recording them. */
  deliveredCount = 0;

  readonly inbound$: Observable<InboundMessage> = this.inboundSubject.asObservable();
  readonly status$: Observable<AdapterStatus>;
  readonly windows$: Observable<Address> = this.windowsSubject.asObservable();
  /** Emits each delivered request. */
  readonly delivered$: Observable<SendRequest> = this.deliveredSubject.asObservable();

  constructor(private readonly options: MemoryAdapterOptions = {}) {
    this.name = options.name ?? 'memory';
    this.limits = options.limits ?? { maxTextLength: 2000, sendRatePerSecond: Infinity };
    this.respond = options.respond ?? (() => ({ type: 'delivered' }));
    this.record = options.record ?? true;
    this.statusSubject = new BehaviorSubject<AdapterStatus>({ adapter: this.name, state: 'stopped', at: Date.now() });
    this.status$ = this.statusSubject.asObservable();
  }

  async start(): Promise<void> {
    this.statusSubject.next({ adapter: this.name, state: 'ready', at: Date.now() });
  }

  async stop(): Promise<void> {
    this.statusSubject.next({ adapter: this.name, state: 'stopped', at: Date.now() });
    this.inboundSubject.complete();
    this.statusSubject.complete();
    this.windowsSubject.complete();
    this.deliveredSubject.complete();
  }

  addressFor(identity: Identity): Address | undefined {
    if (identity.platform !== this.name) return undefined;
    return this.options.addressFor ? this.options.addressFor(identity) : { platform: this.name, kind: 'dm', id: identity.id };
  }

  send(request: SendRequest): Promise<SendResult> {
    if (this.record) this.attempts.push(request);
    let result: SendResult | Promise<SendResult>;
    try {
      result = this.respond(request);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    // A scripted answer that is not a promise is settled without an extra async step: benchmarks
    // send through this adapter hundreds of thousands of times a second.
    if (result instanceof Promise) return result.then((r) => this.answered(request, r));
    return Promise.resolve(this.answered(request, result));
  }

  private answered(request: SendRequest, result: SendResult): SendResult {
    if (result.type === 'delivered') {
      this.deliveredCount++;
      if (this.record) this.delivered.push(request);
      if (this.deliveredSubject.observed) this.deliveredSubject.next(request);
    }
    return result;
  }

  /** Report a connection state on `status$` (a login, a drop), as a platform's adapter would. */
  announce(state: AdapterStatus['state'], detail?: string): void {
    this.statusSubject.next({ adapter: this.name, state, at: Date.now(), ...(detail !== undefined ? { detail } : {}) });
  }

  /** Deliver an inbound message as if the platform had sent it. */
  inject(message: InjectedMessage): InboundMessage {
    const inbound: InboundMessage = {
      id: message.id ?? `${this.name}-${++this.seq}`,
      platform: this.name,
      from: { platform: this.name, id: message.from, name: message.from },
      chat: message.chat ?? { platform: this.name, kind: 'dm', id: message.from },
      text: message.text,
      mentionsBot: message.mentionsBot ?? true,
      receivedAt: Date.now(),
      ...(message.replyContext !== undefined ? { replyContext: message.replyContext } : {}),
      ...(message.quoted !== undefined ? { quoted: message.quoted } : {}),
    };
    this.inboundSubject.next(inbound);
    return inbound;
  }

  /** Announce that the platform accepts messages for `address` again. */
  openWindow(address: Address): void {
    this.windowsSubject.next(address);
  }

  /** Texts delivered to one chat id, in order. */
  textsTo(id: string): string[] {
    return this.delivered.filter((r) => r.to.id === id).map((r) => r.text);
  }
}
