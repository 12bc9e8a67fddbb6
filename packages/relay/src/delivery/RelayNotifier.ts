import { clip, detach, errorInfo, readerLocale, type Catalog, type Locale, type Logger, type Notifier, type NotifyRoute, type Priority, type User, type UserDirectory } from '@switchboard/core';
import type { QuietHours } from '../alerts/QuietHours.js';
import type { Member } from '../routing/Router.js';
import type { Severity } from '../Update.js';

/** How a text is sent: a reminder is dropped, not held, for someone in quiet hours. */
export interface NotifyOptions {
  readonly reminder?: boolean;
  /** While a message with this key waits in the outbox for the same chat, another is not added (a page decided again after a crash). */
  readonly dedupeKey?: string;
  /** Throw when the outbox refused the batch (the caller keeps it due) instead of logging it and returning no names. */
  readonly throwRefused?: boolean;
}

/** A text for everyone, or one rendered in each reader's language. */
export type Text = string | ((locale: Locale) => string);

/** Sends one text to users: {@link RelayNotifier.notify}, as alerting and its messages use it. */
export type Notify = (users: readonly User[], text: Text, severity: Severity, options?: NotifyOptions) => Promise<string[]>;

/** Options of {@link RelayNotifier}. */
export interface RelayNotifierOptions {
  /** The bridge's notifier: where each person is reached, and the outbox batch. */
  readonly notifier: Notifier;
  readonly directory: UserDirectory;
  readonly quiet: QuietHours;
  /** Texts longer than this are cut, with an ellipsis. */
  readonly maxText: number;
  readonly logger: Logger;
  /** The texts, for digests; and the language of readers who chose none. */
  readonly messages: Catalog;
  readonly locale: Locale;
}

/**
 * The relay's one way out: every text the relay sends (changes, pages, reminders, escalations,
 * digests, flapping summaries) passes here. It skips the muted and the unreachable, holds a text
 * for the digest during a person's quiet hours (critical passes unless they opted out), and hands
 * the rest to the core notifier as one outbox batch. Where each person is reached is the core
 * notifier's business: their choice of platform, and the fallback of a critical page.
 */
export class RelayNotifier {
  private digestTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: RelayNotifierOptions) {}

  /**
   * Send one text to users as one outbox batch.
   * @returns the names it was accepted or held for.
   */
  notify(users: readonly User[], text: Text, severity: Severity, options?: NotifyOptions): Promise<string[]> {
    if (typeof text === 'string') return this.deliver(users, text, severity, undefined, options);
    // Rendered once per language among the readers.
    const byLocale = new Map<Locale, string>();
    const texts = users.map((user) => {
      const locale = readerLocale(user, this.options.locale);
      let rendered = byLocale.get(locale);
      if (rendered === undefined) byLocale.set(locale, (rendered = text(locale)));
      return rendered;
    });
    return this.deliver(users, texts, severity, undefined, options);
  }

  /**
   * Send each user their text (`texts[i]` for `users[i]`, or one text for all) as one outbox batch.
   * `members` (parallel to `users`) cache each person's route between calls, until the notifier's
   * generation changes.
   * @returns the names it was accepted or held for; none when the outbox refused the batch.
   */
  async deliver(
    users: readonly User[],
    texts: string | readonly string[],
    severity: Severity,
    members?: readonly Member[],
    options: NotifyOptions = {},
  ): Promise<string[]> {
    const { notifier, quiet, maxText } = this.options;
    const generation = notifier.generation;
    const now = Date.now();
    const names: string[] = [];
    const critical = severity === 'critical';
    const batch = notifier.batch({ priority: priorityOf(severity), critical, ...(options.dedupeKey !== undefined ? { dedupeKey: options.dedupeKey } : {}) });
    const single = typeof texts === 'string' ? (texts.length > maxText ? clip(texts, maxText - 1) : texts) : undefined;
    let held = false;
    for (let i = 0; i < users.length; i++) {
      const user = users[i]!;
      if (user.mutedUntil !== undefined && user.mutedUntil > now) continue;
      const member = members?.[i];
      let reach: NotifyRoute;
      if (member) {
        if (member.reachGeneration !== generation || member.reach === undefined) {
          member.reach = notifier.route(user);
          member.reachGeneration = generation;
        }
        reach = member.reach;
      } else {
        reach = notifier.route(user);
      }
      if (reach.send.length === 0) continue;
      const raw = single ?? texts[i]!;
      const text = raw.length > maxText ? clip(raw, maxText - 1) : raw;
      if (quiet.holds(user.name, critical, now)) {
        // A reminder is not worth a digest line: the digest already carries the page it repeats.
        if (options.reminder) continue;
        names.push(user.name);
        await quiet.hold(user.name, text, now);
        held = true;
        continue;
      }
      names.push(user.name);
      batch.add(user, reach, text);
    }
    if (held) this.scheduleDigests();
    if (batch.size === 0) return names;
    try {
      // One batch: validated together and persisted in one journal append.
      await batch.send();
      return names;
    } catch (error) {
      this.options.logger.error(errorInfo(error), 'could not queue notifications');
      if (options.throwRefused) throw error;
      return [];
    }
  }

  /** Arm the timer for the next quiet-hours digest (after a window changed, or a text was held). */
  scheduleDigests(): void {
    clearTimeout(this.digestTimer);
    if (this.stopped) return;
    const at = this.options.quiet.nextDigestAt();
    if (at === undefined) return;
    this.digestTimer = setTimeout(
      () => detach(this.sendDigests(), (error) => this.options.logger.error(errorInfo(error), 'digest failed')),
      Math.max(0, at - Date.now()),
    );
    this.digestTimer.unref?.();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.digestTimer);
  }

  private async sendDigests(): Promise<void> {
    const { quiet, directory, notifier, logger } = this.options;
    for (const { user: name, texts } of quiet.due()) {
      const user = directory.get(name);
      try {
        if (user) {
          const head = this.options.messages.t(readerLocale(user, this.options.locale), 'relay.digest', { count: texts.length });
          const body = `${head}\n${texts.map((t) => `• ${t}`).join('\n')}`;
          await notifier.notify([user], body);
        }
        await quiet.clear(name, texts.length);
      } catch (error) {
        logger.error({ ...errorInfo(error), user: name }, 'could not send a quiet-hours digest');
      }
    }
    this.scheduleDigests();
  }
}

function priorityOf(severity: Severity): Priority {
  return severity === 'critical' || severity === 'error' ? 'high' : severity === 'info' ? 'low' : 'normal';
}
