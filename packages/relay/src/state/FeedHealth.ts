import type { SourceStatus } from '../sources/FeedSource.js';
import type { Update } from '../Update.js';

/** The source name of the relay's own alerts (feed names cannot start with "@"). */
export const RelaySource = '@relay';

/** Options of {@link FeedHealth}. */
export interface FeedHealthOptions {
  /** How long a feed may be away before it counts as down (its devices' alerts are then held). */
  readonly downAfter: number;
  /** Whether a feed's feed-down alert is open (it may have gone down before a restart). */
  readonly downAlertOpen: (source: string) => boolean;
  /** Take a feed-down or feed-back update; `back` is true for the latter. */
  readonly report: (update: Update, back: boolean) => void;
}

/**
 * Feed-down inhibition: a feed away for longer than its grace period is taken for down, reported
 * once as an update of the relay's own (`@relay`, device = the feed), and holds its devices' alerts
 * until it connects again. A short blip is not worth a page.
 */
export class FeedHealth {
  private readonly down = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: FeedHealthOptions) {}

  /** Whether a feed is down (past the grace period), holding its devices' alerts. */
  isDown(source: string): boolean {
    return this.down.has(source);
  }

  /** Take a feed's status change. */
  observe(status: SourceStatus): void {
    const { source } = status;
    if (status.state === 'reconnecting' || status.state === 'failed') {
      if (this.down.has(source) || this.timers.has(source)) return;
      const timer = setTimeout(() => {
        this.timers.delete(source);
        this.down.add(source);
        this.options.report(feedUpdate(source, false, status.detail ?? status.state), false);
      }, this.options.downAfter);
      timer.unref?.();
      this.timers.set(source, timer);
      return;
    }
    if (status.state === 'connected') {
      clearTimeout(this.timers.get(source));
      this.timers.delete(source);
      // Back: also when it went down before a restart, and its feed-down alert is still open.
      const wasDown = this.down.delete(source);
      if (!wasDown && !this.options.downAlertOpen(source)) return;
      this.options.report(feedUpdate(source, true, 'reconnected'), true);
    }
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

function feedUpdate(source: string, up: boolean, detail: string): Update {
  return {
    source: RelaySource,
    key: source,
    topic: 'feed',
    severity: up ? 'info' : 'error',
    state: up ? 'up' : 'down',
    text: up ? `feed ${source} is back (${detail}); held alerts follow` : `feed ${source} is down (${detail}); its devices' alerts are held`,
    at: Date.now(),
    resolved: up,
    // What the notice is rendered from in each reader's language.
    labels: { feed: source, detail },
  };
}
