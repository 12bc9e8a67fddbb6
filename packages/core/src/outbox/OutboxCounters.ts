import type { Address } from '../domain/address.js';
import type { FinalOutcome } from './types.js';

/** What the outbox has done for one platform since it started: counts only ever grow. */
export interface PlatformCounts {
  /** Messages accepted (a duplicate of a pending one is not). */
  accepted: number;
  delivered: number;
  /** Failed for good (also those given up on after the retry period). */
  failed: number;
  /** Taken back by their sender before they went out. */
  withdrawn: number;
  /** Send attempts that failed transiently and will be tried again. */
  retried: number;
  /** Messages the platform accepts only later (outside a QQ reply window). */
  deferred: number;
  /** Times a destination began to wait for a reply window. */
  windowWaits: number;
}

/**
 * Running totals per platform, kept as plain numbers so that counting costs a property increment
 * on the delivery path; whoever reports them (the operations server's `/metrics`) reads them when asked.
 */
export class OutboxCounters {
  private readonly byPlatform = new Map<string, PlatformCounts>();

  /** The totals of `platform`, created at zero on first use. */
  of(platform: string): PlatformCounts {
    let counts = this.byPlatform.get(platform);
    if (!counts) {
      counts = { accepted: 0, delivered: 0, failed: 0, withdrawn: 0, retried: 0, deferred: 0, windowWaits: 0 };
      this.byPlatform.set(platform, counts);
    }
    return counts;
  }

  /** Every platform seen so far, with a copy of its totals. */
  snapshot(): Map<string, Readonly<PlatformCounts>> {
    return new Map([...this.byPlatform].map(([platform, counts]) => [platform, { ...counts }]));
  }
}

/** A message that ended, as {@link Outbox.recent} lists it. */
export interface FinishedMessage {
  readonly id: string;
  readonly to: Address;
  readonly status: FinalOutcome;
  readonly reason?: string;
  readonly attempts: number;
  readonly parts: number;
  /** Epoch ms it ended. */
  readonly at: number;
}

/**
 * The last messages that ended, and apart from them the last failures (what people look for),
 * each in a ring of parallel arrays: keeping one costs a few slot writes, no object.
 */
export class RecentFinished {
  private readonly all: Ring;
  private readonly failures: Ring;

  constructor(size: number) {
    this.all = new Ring(size);
    this.failures = new Ring(Math.max(1, Math.floor(size / 2)));
  }

  add(id: string, to: Address, status: FinalOutcome, reason: string | undefined, attempts: number, parts: number): void {
    (status === 'failed' ? this.failures : this.all).add(id, to, status, reason, attempts, parts);
  }

  /** Newest first. */
  list(): FinishedMessage[] {
    return [...this.all.list(), ...this.failures.list()].sort((a, b) => b.at - a.at);
  }
}

class Ring {
  private readonly ids: (string | undefined)[];
  private readonly tos: Address[];
  private readonly statuses: FinalOutcome[];
  private readonly reasons: (string | undefined)[];
  private readonly attempts: number[];
  private readonly parts: number[];
  private readonly ats: number[];
  private next = 0;

  constructor(private readonly size: number) {
    this.ids = new Array<string | undefined>(size);
    this.tos = new Array<Address>(size);
    this.statuses = new Array<FinalOutcome>(size);
    this.reasons = new Array<string | undefined>(size);
    this.attempts = new Array<number>(size);
    this.parts = new Array<number>(size);
    this.ats = new Array<number>(size);
  }

  add(id: string, to: Address, status: FinalOutcome, reason: string | undefined, attempts: number, parts: number): void {
    const i = this.next;
    this.ids[i] = id;
    this.tos[i] = to;
    this.statuses[i] = status;
    this.reasons[i] = reason;
    this.attempts[i] = attempts;
    this.parts[i] = parts;
    this.ats[i] = Date.now();
    this.next = (i + 1) % this.size;
  }

  list(): FinishedMessage[] {
    const out: FinishedMessage[] = [];
    for (let i = 0; i < this.size; i++) {
      const id = this.ids[i];
      if (id === undefined) continue;
      const reason = this.reasons[i];
      out.push({ id, to: this.tos[i]!, status: this.statuses[i]!, attempts: this.attempts[i]!, parts: this.parts[i]!, at: this.ats[i]!, ...(reason !== undefined ? { reason } : {}) });
    }
    return out;
  }
}
