import type { Severity } from '../Update.js';

/** Where an alert is in its life. */
export type AlertStatus = 'firing' | 'acknowledged' | 'resolved';

/** One thing that happened to an alert, for `alert #id`. */
export interface AlertEvent {
  readonly at: number;
  /** What happened, in English (as kept before events had keys, and for logs). */
  readonly what: string;
  /** The same as a catalog message, for `alert #id` in the reader's language; a param `ms` is a duration. */
  readonly key?: string;
  readonly params?: Readonly<Record<string, string | number>>;
}

/** An event worded by the catalog (`relay.tl.*`), with its English text kept beside it. */
export function event(key: string, params: Readonly<Record<string, string | number>>, what: string): Omit<AlertEvent, 'at'> {
  return { what, key, params };
}

/** An alert: a problem that someone should handle, with who knows and who took it. */
export interface Alert {
  /** Short number people type: `ack #12`. */
  readonly id: number;
  /** Dedupe key: source + the feed's fingerprint, or source + device. */
  readonly key: string;
  readonly source: string;
  readonly device: string;
  readonly topic: string;
  /** The feed's labels of the last update (silences and groupBy match on them). */
  readonly labels?: Readonly<Record<string, string>>;
  readonly severity: Severity;
  readonly text: string;
  readonly status: AlertStatus;
  readonly openedAt: number;
  readonly lastSeenAt: number;
  /** Updates that matched this open alert (1 for the one that opened it). */
  readonly count: number;
  /** Users told about it so far; a resolve or an ack goes to all of them. */
  readonly notified: readonly string[];
  /** Name of the rule whose policy drives it. */
  readonly route: string;
  /** Escalation steps already taken (0 = only the first notification). */
  readonly step: number;
  /**
   * Epoch ms of the next escalation step, absent when there is none left or it was acknowledged. Set
   * when the first page actually goes out (after the group wait, a silence or a hold), so each step
   * counts from what people were really sent.
   */
  readonly nextAt?: number;
  /** Group key (rule + groupBy values): new alerts of one group page together. */
  readonly group?: string;
  /** While set and in the future, the first page waits (group_wait). */
  readonly pendingUntil?: number;
  /** When its first page went out (to its audience, even if that was nobody); absent while it waits or is held. */
  readonly pagedAt?: number;
  /** Next reminder while firing and unacknowledged. */
  readonly remindAt?: number;
  readonly ackedBy?: string;
  readonly ackedAt?: number;
  readonly resolvedAt?: number;
  /** Who resolved it by hand; absent when the feed resolved it. */
  readonly resolvedBy?: string;
  /**
   * Set on a resolved alert whose resolve is not told yet: resolves of one group are gathered for the
   * rule's group wait and told in one message per person, like the page was.
   */
  readonly resolveDueAt?: number;
  /** Paused by someone who may see it: no page, reminder or step goes out until then. */
  readonly snoozedUntil?: number;
  readonly snoozedBy?: string;
  /** What happened to it, oldest first (the last {@link TimelineLimit} events). */
  readonly timeline?: readonly AlertEvent[];
}

/** Events kept per alert. */
export const TimelineLimit = 40;

/** The alert with one more event on its timeline. */
export function noted<T extends Alert>(alert: T, what: string | Omit<AlertEvent, 'at'>, at = Date.now()): T {
  const timeline = [...(alert.timeline ?? []), typeof what === 'string' ? { at, what } : { at, ...what }];
  return { ...alert, timeline: timeline.length > TimelineLimit ? timeline.slice(-TimelineLimit) : timeline };
}
