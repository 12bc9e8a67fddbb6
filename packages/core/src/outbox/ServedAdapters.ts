import type { Subscription } from 'rxjs';
import type { Adapter } from '../domain/Adapter.js';
import type { Address } from '../domain/address.js';
import { ChatPace } from './ChatPace.js';
import { RateLimiter } from './RateLimiter.js';

/** An adapter the outbox sends through, with the rate limiter and the per-chat pace its limits call for. */
export interface Served {
  readonly adapter: Adapter;
  readonly limiter: RateLimiter;
  readonly pace: ChatPace | undefined;
}

/**
 * The adapters the outbox sends through, by platform name. Messages for a platform no adapter
 * serves yet wait here until one is registered (or the outbox stops).
 */
export class ServedAdapters {
  private readonly served = new Map<string, Served & { readonly sub?: Subscription }>();
  private readonly waiters = new Map<string, (() => void)[]>();

  /**
   * @param onWindow called when an adapter announces that a chat's reply window opened
   * @param onReady called when an adapter becomes ready (logged in, connected): what waits for it goes now
   */
  constructor(
    private readonly onWindow: (address: Address) => void,
    private readonly onReady: (platform: string) => void = () => undefined,
  ) {}

  get(platform: string): Served | undefined {
    return this.served.get(platform);
  }

  has(platform: string): boolean {
    return this.served.has(platform);
  }

  /** @returns a disposer. @throws Error when an adapter of that name is already registered. */
  register(adapter: Adapter): () => void {
    if (this.served.has(adapter.name)) throw new Error(`an adapter named "${adapter.name}" is already registered`);
    const limiter = new RateLimiter(adapter.limits.sendRatePerSecond, adapter.limits.sendBurst ?? 1);
    const perChat = adapter.limits.perChat;
    const pace = perChat ? new ChatPace(perChat.ratePerSecond, perChat.burst ?? 1) : undefined;
    const sub = adapter.windows$?.subscribe((address) => this.onWindow(address));
    let ready = false;
    const status = adapter.status$.subscribe((s) => {
      const now = s.state === 'ready';
      if (now && !ready) this.onReady(adapter.name);
      ready = now;
    });
    if (sub) sub.add(status);
    this.served.set(adapter.name, { adapter, limiter, pace, sub: sub ?? status });
    for (const wake of this.waiters.get(adapter.name) ?? []) wake();
    this.waiters.delete(adapter.name);
    return () => {
      const current = this.served.get(adapter.name);
      if (current?.adapter !== adapter) return;
      current.sub?.unsubscribe();
      current.limiter.close();
      this.served.delete(adapter.name);
    };
  }

  /** The adapter for `platform`, once one is registered; undefined if `signal` aborts first. */
  async when(platform: string, signal: AbortSignal): Promise<Served | undefined> {
    while (!signal.aborted) {
      const served = this.served.get(platform);
      if (served) return served;
      await new Promise<void>((resolve) => {
        const list = this.waiters.get(platform) ?? [];
        list.push(resolve);
        this.waiters.set(platform, list);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    return undefined;
  }

  /** Stop every limiter and window subscription (the outbox is stopping). */
  close(): void {
    for (const { limiter, sub } of this.served.values()) {
      limiter.close();
      sub?.unsubscribe();
    }
  }
}
