import { errorInfo, formatDuration, satisfiesTier, silentLogger, type Logger, type Tier, type User, type UserDirectory } from '@switchboard/core';
import type { Route } from '../routing/Route.js';
import type { Router } from '../routing/Router.js';
import { atLeast, severityRank, type Severity, type Update } from '../Update.js';
import type { Alert } from './Alert.js';
import type { AlertBook } from './AlertBook.js';
import type { SilenceBook } from './SilenceBook.js';

/** Sends one text to users, through the outbox (the relay supplies it). */
export type Notify = (users: readonly User[], text: string, severity: Severity) => Promise<string[]>;

/** Options of {@link Alerting}. */
export interface AlertingOptions {
  readonly book: AlertBook;
  readonly silences: SilenceBook;
  readonly router: Router;
  readonly directory: UserDirectory;
  readonly notify: Notify;
  /** Inhibition: true while alerts from this source must be held back (its feed is down). */
  readonly inhibited?: (source: string) => boolean;
  readonly logger?: Logger;
}

/** What a command did, for its reply. */
export type AlertActionResult = { readonly ok: true; readonly alert: Alert } | { readonly ok: false; readonly reason: string };

const icons: Record<Severity, string> = { info: 'ℹ️', warning: '⚠️', error: '❗', critical: '🔥' };

/**
 * The alert lifecycle (Alertmanager / PagerDuty / Opsgenie semantics, as summarised in the relay
 * research): an update at or above a rule's alert severity opens an alert keyed by its dedupe key;
 * repeats bump its count and send nothing; a resolve closes it and tells everyone who was told.
 * While nobody acknowledges it, the rule's escalation steps run on schedule; an ack stops them.
 * Escalation times are persisted, so a restart continues where it was.
 */
export class Alerting {
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: AlertingOptions) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'alerts' });
  }

  /** The dedupe key of an update. */
  static keyOf(update: Pick<Update, 'source' | 'key' | 'fingerprint'>): string {
    return `${update.source}:${update.fingerprint ?? update.key}`;
  }

  /** Arm the escalation timer for what was open before the restart. */
  start(): void {
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /**
   * Take an update that a rule with an alert policy matched.
   * @returns true when the alert flow handled it (nothing else should be sent for it).
   */
  async onUpdate(update: Update, route: Route, recipients: readonly User[], news: boolean): Promise<boolean> {
    const policy = route.alert!;
    const { book } = this.options;
    const key = Alerting.keyOf(update);
    const open = book.openFor(key);
    const problem = !update.resolved && atLeast(update.severity, policy.severity);
    if (!problem) {
      if (!open || !news) return Boolean(open);
      const alert = await book.commit(() => ({ ...withoutSchedule(open), status: 'resolved', resolvedAt: update.at, lastSeenAt: update.at, text: update.text }));
      await this.tell(alert.notified, `✅ #${alert.id} resolved: ${alert.device}: ${update.text}`, alert.severity);
      this.schedule();
      return true;
    }
    if (open) {
      const worse = severityRank(update.severity) > severityRank(open.severity);
      const alert = await book.commit(() => ({
        ...open,
        count: open.count + 1,
        lastSeenAt: update.at,
        severity: worse ? update.severity : open.severity,
        text: news ? update.text : open.text,
      }));
      // A repeat sends nothing new; a rise in severity is worth telling those already involved.
      if (worse && !this.held(asUpdate(alert))) await this.tell(alert.notified, `${icons[alert.severity]} #${alert.id} is now ${alert.severity}: ${alert.device}: ${update.text}`, alert.severity);
      return true;
    }
    if (!news) return true;
    const first = policy.escalate[0];
    // While a silence matches, the alert is tracked but pages nobody; its first page goes out if it
    // is still firing when the silence ends.
    const silenced = this.held(update);
    const told = silenced ? [] : recipients.map((u) => u.name);
    const alert = await book.commit((id) => ({
      id,
      key,
      source: update.source,
      device: update.key,
      topic: update.topic,
      severity: update.severity,
      text: update.text,
      status: 'firing',
      openedAt: update.at,
      lastSeenAt: update.at,
      count: 1,
      notified: told,
      route: route.name ?? '',
      step: 0,
      ...(first ? { nextAt: Date.now() + first.after } : {}),
    }));
    if (!silenced) await this.options.notify(recipients, firstPage(alert), alert.severity);
    this.schedule();
    return true;
  }

  /** `ack #id`: stop escalation and tell the others who took it. */
  ack(user: User, id: number): Promise<AlertActionResult> {
    return this.act(user, id, (alert) => {
      if (alert.status === 'resolved') return `#${id} is already resolved.`;
      if (alert.status === 'acknowledged') return `#${id} was already acknowledged by ${alert.ackedBy}.`;
      return undefined;
    }, (alert) => ({ ...withoutSchedule(alert), status: 'acknowledged', ackedBy: user.name, ackedAt: Date.now(), notified: union(alert.notified, [user.name]) }),
    (alert) => `👍 #${alert.id} acknowledged by ${user.name}: ${alert.device}: ${alert.text}`);
  }

  /** `unack #id`: hand it back; escalation resumes from the next step. */
  unack(user: User, id: number): Promise<AlertActionResult> {
    return this.act(user, id, (alert) => (alert.status !== 'acknowledged' ? `#${id} is not acknowledged.` : undefined), (alert) => {
      const { ackedBy: _by, ackedAt: _at, ...rest } = alert;
      const next = this.nextStepAt(alert, Date.now());
      return { ...rest, status: 'firing', ...(next !== undefined ? { nextAt: next } : {}) };
    }, (alert) => `↩️ #${alert.id} is unacknowledged again (${user.name}): ${alert.device}: ${alert.text}`);
  }

  /** `resolve #id` by hand, for sources that never send a resolve. */
  resolve(user: User, id: number): Promise<AlertActionResult> {
    return this.act(user, id, (alert) => (alert.status === 'resolved' ? `#${id} is already resolved.` : undefined), (alert) => ({
      ...withoutSchedule(alert),
      status: 'resolved',
      resolvedAt: Date.now(),
      resolvedBy: user.name,
    }), (alert) => `✅ #${alert.id} resolved by ${user.name}: ${alert.device}: ${alert.text}`);
  }

  /** Whether `user` may see this alert at all. */
  canSee(user: User, alert: Alert): boolean {
    return this.options.router.canSee(user, asUpdate(alert));
  }

  private async act(
    user: User,
    id: number,
    refuse: (alert: Alert) => string | undefined,
    change: (alert: Alert) => Alert,
    message: (alert: Alert) => string,
  ): Promise<AlertActionResult> {
    const current = this.options.book.get(id);
    // An alert about a device the caller may not see does not exist for them.
    if (!current || !this.canSee(user, current)) return { ok: false, reason: `There is no alert #${id} that you may see.` };
    const reason = refuse(current);
    if (reason) return { ok: false, reason };
    const alert = await this.options.book.commit(() => change(current));
    this.schedule();
    await this.tell(alert.notified.filter((n) => n.toLowerCase() !== user.name.toLowerCase()), message(alert), alert.severity);
    return { ok: true, alert };
  }

  /** Tell named users who may still see the alert's device (rules can change between restarts). */
  private async tell(names: readonly string[], text: string, severity: Severity): Promise<void> {
    const users = names.map((n) => this.options.directory.get(n)).filter((u): u is User => u !== undefined);
    await this.options.notify(users, text, severity);
  }

  /** Whether pages about this update are held back now: a silence matches, or its feed is down. */
  private held(update: Update): boolean {
    return this.options.silences.silencing(update) !== undefined || (this.options.inhibited?.(update.source) ?? false);
  }

  /** Run what is due now (after a silence was lifted, say) and re-arm the timer. */
  sweep(): Promise<void> {
    return this.escalate();
  }

  /** Re-arm the one timer for the earliest escalation step or silence end. */
  schedule(): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    const times = [
      ...this.options.book.open().filter((a) => a.status === 'firing' && a.nextAt !== undefined).map((a) => a.nextAt!),
      ...this.options.silences.active().map((s) => s.endsAt),
    ];
    if (times.length === 0) return;
    this.timer = setTimeout(() => void this.escalate(), Math.max(0, Math.min(...times) - Date.now()));
    this.timer.unref?.();
  }

  /** Alerts opened under a silence that has ended get their first page now, if still firing. */
  private async pageUnsilenced(): Promise<void> {
    for (const alert of this.options.book.open()) {
      if (alert.status !== 'firing' || alert.notified.length > 0 || this.held(asUpdate(alert))) continue;
      const now = Date.now();
      const recipients = this.options.router
        .recipients(asUpdate(alert))
        .map((r) => r.user)
        .filter((u) => !(u.mutedUntil !== undefined && u.mutedUntil > now));
      if (recipients.length === 0) continue;
      await this.options.book.commit(() => ({ ...alert, notified: recipients.map((u) => u.name) }));
      await this.options.notify(recipients, firstPage(alert), alert.severity);
    }
  }

  private async escalate(): Promise<void> {
    const now = Date.now();
    try {
      await this.pageUnsilenced();
      for (const alert of this.options.book.open()) {
        if (alert.status !== 'firing' || alert.nextAt === undefined || alert.nextAt > now) continue;
        const silence = this.options.silences.silencing(asUpdate(alert), now);
        if (silence || this.options.inhibited?.(alert.source)) {
          // Escalation waits for the silence to end, or (inhibition) re-checks in a minute; the
          // feed coming back triggers a sweep sooner.
          await this.options.book.commit(() => ({ ...alert, nextAt: silence ? silence.endsAt : now + 60_000 }));
          continue;
        }
        const route = this.routeOf(alert);
        const steps = route?.alert?.escalate ?? [];
        if (!route || steps.length === 0) {
          await this.options.book.commit(() => withoutSchedule(alert));
          continue;
        }
        const index = alert.step % steps.length;
        const step = steps[index]!;
        const targets = this.targets(step.notify).filter((u) => this.canSee(u, alert));
        const updated = await this.options.book.commit(() => {
          const advanced = { ...alert, step: alert.step + 1, notified: union(alert.notified, targets.map((u) => u.name)) };
          const next = this.nextStepAt(advanced, now);
          return next === undefined ? withoutSchedule(advanced) : { ...advanced, nextAt: next };
        });
        const age = formatDuration(now - alert.openedAt);
        await this.options.notify(targets, `⏫ #${updated.id} unacknowledged for ${age}: ${updated.device}: ${updated.text}. Send "ack ${updated.id}" to take it.`, updated.severity);
      }
    } catch (error) {
      this.logger.error(errorInfo(error), 'escalation failed');
    }
    this.schedule();
  }

  /** When the step after `alert.step` is due, counted from `from`; undefined when the policy is exhausted. */
  private nextStepAt(alert: Alert, from: number): number | undefined {
    const policy = this.routeOf(alert)?.alert;
    const steps = policy?.escalate ?? [];
    if (steps.length === 0) return undefined;
    if (alert.step >= steps.length * (1 + (policy?.repeat ?? 0))) return undefined;
    return from + steps[alert.step % steps.length]!.after;
  }

  private routeOf(alert: Alert): Route | undefined {
    return this.options.router.byName(alert.route);
  }

  private targets(target: { tier?: Tier | undefined; users: readonly string[] }): User[] {
    const users = new Map<string, User>();
    for (const name of target.users) {
      const user = this.options.directory.get(name);
      if (user) users.set(user.name, user);
    }
    if (target.tier) for (const user of this.options.directory.list()) if (satisfiesTier(user.tier, target.tier)) users.set(user.name, user);
    return [...users.values()];
  }
}

function firstPage(alert: Alert): string {
  return `${icons[alert.severity]} #${alert.id} ${alert.device}: ${alert.text}`;
}

function withoutSchedule(alert: Alert): Alert {
  const { nextAt: _next, ...rest } = alert;
  return rest;
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

/** The update an alert stands for, for routing and visibility checks. */
export function asUpdate(alert: Alert): Update {
  return {
    source: alert.source,
    key: alert.device,
    topic: alert.topic,
    severity: alert.severity,
    state: alert.status,
    text: alert.text,
    at: alert.lastSeenAt,
    resolved: false,
  };
}
