import { backoffDelay } from '../util/backoff.js';
import { errorInfo, silentLogger, type Logger } from '../util/Logger.js';

/** Options of {@link Reconnector}. */
export interface ReconnectorOptions {
  /**
   * Make one connection attempt. A throw or a rejection counts as a failed attempt: the next one
   * follows after backoff. A connection that opens and later drops is reported with {@link Reconnector.retry}.
   */
  readonly connect: () => void | Promise<void>;
  /** Backoff scale and cap (full jitter). @defaultValue 1 s, 60 s */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  readonly random?: () => number;
  /** Let the process exit while only a retry is waiting. @defaultValue false */
  readonly unref?: boolean;
  /** Where a failed attempt is logged. */
  readonly logger?: Logger;
}

/** Defaults of {@link ReconnectorOptions}. */
export const DefaultBackoff = { baseMs: 1000, maxMs: 60_000 } as const;

/**
 * The reconnect loop every long-lived connection shares (the QQ gateway, the socket feeds, MQTT,
 * the WeChat puppet): exponential backoff with full jitter between attempts; the attempt count
 * starts afresh only when the owner says the connection is {@link healthy} (authenticated, or data
 * flowing), so a peer that accepts and drops at once does not cause a tight loop; one retry waits
 * at a time, and a timer from before a newer retry or a stop never fires an attempt.
 */
export class Reconnector {
  private attempts = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Bumped by every retry and stop: a timer of an older generation is stale. */
  private generation = 0;
  private readonly logger: Logger;

  constructor(private readonly options: ReconnectorOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  /** Failed or dropped attempts since the connection was last healthy. */
  get attempt(): number {
    return this.attempts;
  }

  /** True between {@link start} (or {@link resume}) and {@link stop}. */
  get active(): boolean {
    return this.running;
  }

  /** True while a retry waits for its time. */
  get waiting(): boolean {
    return this.timer !== undefined;
  }

  /** Begin: connect now. */
  start(): void {
    this.resume();
    this.tryConnect(this.generation);
  }

  /** Begin without an attempt now (the owner made the first one itself). */
  resume(): void {
    this.running = true;
  }

  /** The connection works: the next drop starts backoff afresh. */
  healthy(): void {
    this.attempts = 0;
  }

  /**
   * The connection dropped or an attempt failed: attempt again after backoff, replacing a retry
   * already waiting.
   * @returns the delay in ms, or undefined when stopped (nothing is scheduled then).
   */
  retry(): number | undefined {
    if (!this.running) return undefined;
    this.cancel();
    const generation = this.generation;
    this.attempts++;
    const delay = backoffDelay(this.attempts, { ...(this.options.backoff ?? DefaultBackoff), ...(this.options.random ? { random: this.options.random } : {}) });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tryConnect(generation);
    }, delay);
    if (this.options.unref) this.timer.unref?.();
    return delay;
  }

  /** Stop for good (until the next start): no retry waits, none fires. */
  stop(): void {
    this.running = false;
    this.cancel();
  }

  private cancel(): void {
    this.generation++;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private tryConnect(generation: number): void {
    if (!this.running || generation !== this.generation) return;
    const failed = (error: unknown): void => {
      if (!this.running || generation !== this.generation) return;
      this.logger.warn(errorInfo(error), 'connection attempt failed');
      this.retry();
    };
    try {
      const result = this.options.connect();
      if (result instanceof Promise) result.catch(failed);
    } catch (error) {
      failed(error);
    }
  }
}
