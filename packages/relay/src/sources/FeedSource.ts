import { Subject, type Observable } from 'rxjs';
import { silentLogger, StatusCell, type Logger } from '@switchboard/core';
import type { Update } from '../Update.js';

/** Connection state of a source. */
export type SourceState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'stopped' | 'failed';

/** A state change of one source, on `status$`. */
export interface SourceStatus {
  readonly source: string;
  readonly state: SourceState;
  readonly detail?: string;
  readonly at: number;
}

/** Counters shown by the `sources` command. */
export interface SourceStats {
  readonly state: SourceState;
  readonly detail?: string;
  /** Epoch ms of the last frame received (of any kind). */
  readonly lastFrameAt?: number;
  readonly frames: number;
  /** Frames that could not be read; logged and counted, never fatal. */
  readonly malformed: number;
  /** Connections opened after the first one. */
  readonly reconnects: number;
}

/** A feed was asked to carry a request (an action) while it is not connected: nothing was sent. */
export class FeedDownError extends Error {
  constructor(
    readonly feed: string,
    readonly state: SourceState,
    readonly detail?: string,
  ) {
    super(`feed ${feed} is ${state === 'idle' ? 'not started' : state}${detail ? ` (${detail})` : ''}; nothing was sent`);
    this.name = 'FeedDownError';
  }
}

/** What an action waits for at most when it does not say. */
export const DefaultRequestTimeoutMs = 10_000;

/** A device feed: something that produces {@link Update}s and keeps itself connected. */
export interface FeedSource {
  readonly name: string;
  readonly kind: string;
  readonly updates$: Observable<Update>;
  readonly status$: Observable<SourceStatus>;
  stats(): SourceStats;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Shared plumbing: subjects, counters, malformed-frame accounting. */
export abstract class BaseSource implements FeedSource {
  abstract readonly kind: string;
  protected readonly logger: Logger;
  private readonly updatesSubject = new Subject<Update>();
  private readonly status: StatusCell<SourceStatus>;
  private counters = { frames: 0, malformed: 0, reconnects: 0, lastFrameAt: undefined as number | undefined };

  readonly updates$: Observable<Update>;
  readonly status$: Observable<SourceStatus>;

  constructor(
    readonly name: string,
    logger: Logger = silentLogger,
  ) {
    this.logger = logger.child({ source: name });
    this.status = new StatusCell<SourceStatus>({ source: name }, 'idle');
    this.updates$ = this.updatesSubject.asObservable();
    this.status$ = this.status.changes$;
  }

  abstract start(): Promise<void>;

  async stop(): Promise<void> {
    this.setStatus('stopped');
    this.updatesSubject.complete();
    this.status.close();
  }

  stats(): SourceStats {
    const status = this.status.value;
    return {
      state: status.state,
      ...(status.detail !== undefined ? { detail: status.detail } : {}),
      ...(this.counters.lastFrameAt !== undefined ? { lastFrameAt: this.counters.lastFrameAt } : {}),
      frames: this.counters.frames,
      malformed: this.counters.malformed,
      reconnects: this.counters.reconnects,
    };
  }

  protected get state(): SourceState {
    return this.status.state;
  }

  /** @throws FeedDownError unless the feed is connected now: a request is never queued for later. */
  protected assertConnected(): void {
    const { state, detail } = this.status.value;
    if (state !== 'connected') throw new FeedDownError(this.name, state, detail);
  }

  protected setStatus(state: SourceState, detail?: string): void {
    this.status.set(state, detail);
  }

  protected frameReceived(): void {
    this.counters.frames++;
    this.counters.lastFrameAt = Date.now();
  }

  protected reconnected(): void {
    this.counters.reconnects++;
  }

  /** Count and log a frame that could not be read. `sample` is cut short; it never carries credentials. */
  protected malformed(reason: string, sample?: unknown): void {
    this.counters.malformed++;
    const text = typeof sample === 'string' ? sample : sample === undefined ? undefined : JSON.stringify(sample);
    this.logger.warn({ reason, sample: text?.slice(0, 200) }, 'malformed frame skipped');
  }

  protected emit(update: Update): void {
    if (!this.updatesSubject.closed) this.updatesSubject.next(update);
  }
}
