import { detach, errorInfo, formatDuration, formatDurationIn, silentLogger, type Catalog, type Locale, type Logger, type User, type UserDirectory } from '@switchboard/core';
import type { Notify, NotifyOptions, Text } from '../delivery/RelayNotifier.js';
import type { Route } from '../routing/Route.js';
import type { Router } from '../routing/Router.js';
import { atLeast, severityRank, type Severity, type Update } from '../Update.js';
import { event, noted, type Alert } from './Alert.js';
import type { AlertBook } from './AlertBook.js';
import { fieldOf, matchesAll, type Matcher } from './matchers.js';
import { alertParams, names, pageText, PerPerson, resolvedText, type Say } from './messages.js';
import type { SilenceBook } from './SilenceBook.js';

/** Options of {@link Alerting}. */
export interface AlertingOptions {
  readonly book: AlertBook;
  readonly silences: SilenceBook;
  readonly router: Router;
  readonly directory: UserDirectory;
  readonly notify: Notify;
  /** Inhibition: true while alerts from this source must be held back (its feed is down). */
  readonly inhibited?: (source: string) => boolean;
  /** Flap damping: true while the device is flapping; its new alerts are held until the flapping summary. */
  readonly flapping?: (update: Update) => boolean;
  /** Inhibition by another alert: while an open alert matches `source`, matching targets with equal values are held. */
  readonly inhibitRules?: readonly InhibitRule[];
  readonly logger?: Logger;
  /** Where the texts are (the bridge's catalog, with the relay's), and the language of those who chose none. */
  readonly messages: Catalog;
  readonly locale: Locale;
}

/** One inhibition rule, parsed. */
export interface InhibitRule {
  readonly source: readonly Matcher[];
  readonly target: readonly Matcher[];
  readonly equal: readonly string[];
}

/** What a command did, for its reply. */
export type AlertActionResult = { readonly ok: true; readonly alert: Alert } | { readonly ok: false; readonly reason: string };


/**
 * The alert lifecycle (Alertmanager / PagerDuty / Opsgenie semantics, as summarised in the relay
 * research): an update at or above a rule's alert severity opens an alert keyed by its dedupe key;
 * repeats bump its count and send nothing; a resolve closes it and tells everyone who was told.
 * While nobody acknowledges it, the rule's escalation steps run on schedule; an ack stops them.
 * Escalation times are persisted, so a restart continues where it was.
 */
export class Alerting {
  private readonly logger: Logger;
  private readonly say: Say;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Alerts whose first page is on its way to the outbox (not recorded as paged yet). */
  private readonly paging = new Set<number>();
  /** The escalation pass running now, and whether another was asked for meanwhile. */
  private pass: Promise<void> | undefined;
  private again = false;
  /** Running totals since start, for `/metrics`: alerts whose first page went out, escalation steps that paged someone. */
  readonly counts = { paged: 0, escalated: 0 };

  constructor(private readonly options: AlertingOptions) {
    this.say = (locale, key, params) => options.messages.t(locale, key, params);
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
      // Resolves are grouped like pages: the first of a group waits the group wait for the others.
      const now = Date.now();
      const gather = policy.groupWait > 0 && open.notified.length > 0;
      const joining = gather ? book.resolvesPending().find((a) => a.group === open.group && a.resolveDueAt! > now) : undefined;
      const alert = await book.commit(() =>
        noted(
          {
            ...withoutSchedule(open),
            status: 'resolved',
            resolvedAt: update.at,
            lastSeenAt: update.at,
            text: update.text,
            ...(gather ? { resolveDueAt: joining?.resolveDueAt ?? now + policy.groupWait } : {}),
          },
          event('relay.tl.resolvedByFeed', { text: update.text }, `resolved by the feed: ${update.text}`),
        ),
      );
      if (!gather) await this.tell(alert.notified, (l) => resolvedText(this.say, l, [alert]), alert.severity);
      await this.released();
      return true;
    }
    if (open) {
      const worse = severityRank(update.severity) > severityRank(open.severity);
      if (!news && !worse) {
        book.touch({ ...open, count: open.count + 1, lastSeenAt: update.at });
        return true;
      }
      const changed = {
        ...open,
        count: open.count + 1,
        lastSeenAt: update.at,
        severity: worse ? update.severity : open.severity,
        text: news ? update.text : open.text,
        ...(update.labels ? { labels: update.labels } : {}),
      };
      const alert = await book.commit(() => (worse ? noted(changed, event('relay.tl.now', { severity: update.severity, text: update.text }, `now ${update.severity}: ${update.text}`)) : changed));
      // A repeat sends nothing new; a rise in severity is worth telling those already involved.
      if (worse && !this.heldAlert(alert)) {
        await this.tell(alert.notified, (l) => this.say(l, 'relay.worse', { ...alertParams(this.say, l, alert), text: update.text, severity: this.say(l, `relay.severity.${alert.severity}`) }), alert.severity);
      }
      return true;
    }
    if (!news) return true;
    const now = Date.now();
    const group = `${route.name ?? ''}|${policy.groupBy.map((f) => fieldOf(update, f) ?? '').join('|')}`;
    // While a silence matches (or the feed is down), the alert is tracked but pages nobody; its first
    // page goes out if it is still firing when that ends. Otherwise it waits for its group.
    const held = this.held(update) || (this.options.flapping?.(update) ?? false);
    const joining = this.options.book.open().find((a) => a.group === group && a.pendingUntil !== undefined && a.pendingUntil > now);
    const pendingUntil = held || policy.groupWait <= 0 ? undefined : joining?.pendingUntil ?? now + policy.groupWait;
    const pageNow = !held && pendingUntil === undefined;
    const opened = (id: number): Alert => ({
      id,
      key,
      source: update.source,
      device: update.key,
      topic: update.topic,
      ...(update.labels ? { labels: update.labels } : {}),
      severity: update.severity,
      text: update.text,
      status: 'firing',
      openedAt: update.at,
      lastSeenAt: update.at,
      count: 1,
      notified: [],
      route: route.name ?? '',
      step: 0,
      group,
      ...(pendingUntil !== undefined ? { pendingUntil } : {}),
      timeline: [{ at: now, ...event('relay.tl.opened', { text: update.text }, `opened: ${update.text}`) }],
    });
    const why = held ? event('relay.tl.held', {}, 'held: silenced or its feed is down') : event('relay.tl.waiting', { ms: policy.groupWait }, `waiting ${formatDuration(policy.groupWait)} for its group`);
    await book.commit((id) => (pageNow ? opened(id) : noted(opened(id), why, now)));
    // Paged as a due alert is: sent before it is recorded as paged, so a crash in between pages it again, not never.
    if (pageNow) await this.pageDue(now, recipients);
    this.schedule();
    return true;
  }

  /** `ack #id`: stop escalation and tell the others who took it. */
  ack(user: User, id: number): Promise<AlertActionResult> {
    return this.act(user, id, (alert) => {
      if (alert.status === 'resolved') return `#${id} is already resolved.`;
      if (alert.status === 'acknowledged') return `#${id} was already acknowledged by ${alert.ackedBy}.`;
      return undefined;
    }, (alert) => noted({ ...withoutSchedule(alert), status: 'acknowledged', ackedBy: user.name, ackedAt: Date.now(), notified: union(alert.notified, [user.name]) }, event('relay.tl.acked', { user: user.name }, `acknowledged by ${user.name}`)),
    (alert) => (l) => this.say(l, 'relay.acked', { ...alertParams(this.say, l, alert), user: user.name }));
  }

  /** `unack #id`: hand it back; escalation resumes from the next step. */
  unack(user: User, id: number): Promise<AlertActionResult> {
    return this.act(user, id, (alert) => (alert.status !== 'acknowledged' ? `#${id} is not acknowledged.` : undefined), (alert) => {
      const { ackedBy: _by, ackedAt: _at, ...rest } = alert;
      const now = Date.now();
      const next = this.nextStepAt(alert, now);
      const policy = this.routeOf(alert)?.alert;
      return noted({
        ...rest,
        status: 'firing',
        ...(next !== undefined ? { nextAt: next } : {}),
        ...(policy ? { remindAt: now + policy.repeatInterval } : {}),
      }, event('relay.tl.unacked', { user: user.name }, `unacknowledged by ${user.name}`));
    }, (alert) => (l) => this.say(l, 'relay.unacked', { ...alertParams(this.say, l, alert), user: user.name }));
  }

  /** `resolve #id` by hand, for sources that never send a resolve. */
  resolve(user: User, id: number): Promise<AlertActionResult> {
    return this.act(user, id, (alert) => (alert.status === 'resolved' ? `#${id} is already resolved.` : undefined), (alert) => noted({
      ...withoutSchedule(alert),
      status: 'resolved',
      resolvedAt: Date.now(),
      resolvedBy: user.name,
    }, event('relay.tl.resolvedBy', { user: user.name }, `resolved by ${user.name}`)), (alert) => (l) => this.say(l, 'relay.resolvedBy', { ...alertParams(this.say, l, alert), user: user.name }));
  }

  /**
   * `snooze #id 30m`: anyone who may see the alert pauses it; no page, reminder or step goes out
   * until then, and what fell due meanwhile goes out when it ends. Admins keep matcher silences.
   */
  snooze(user: User, id: number, ms: number): Promise<AlertActionResult> {
    return this.act(user, id, (alert) => (alert.status === 'resolved' ? `#${id} is already resolved.` : undefined), (alert) => {
      const until = Date.now() + ms;
      return noted({ ...alert, snoozedUntil: until, snoozedBy: user.name }, event('relay.tl.snoozed', { user: user.name, ms }, `snoozed by ${user.name} for ${formatDuration(ms)}`));
    }, (alert) => (l) => this.say(l, 'relay.snoozed', { ...alertParams(this.say, l, alert), user: user.name, duration: formatDurationIn(l, ms) }));
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
    message: (alert: Alert) => Text,
  ): Promise<AlertActionResult> {
    const current = this.options.book.get(id);
    // An alert about a device the caller may not see does not exist for them.
    if (!current || !this.canSee(user, current)) return { ok: false, reason: `There is no alert #${id} that you may see.` };
    const reason = refuse(current);
    if (reason) return { ok: false, reason };
    const alert = await this.options.book.commit(() => change(current));
    if (alert.status === 'resolved') await this.released();
    else this.schedule();
    await this.tell(alert.notified.filter((n) => n.toLowerCase() !== user.name.toLowerCase()), message(alert), alert.severity, alert);
    return { ok: true, alert };
  }

  /** Tell named users who may still see the alert's device (rules can change between restarts). */
  private async tell(names: readonly string[], text: Text, severity: Severity, about?: Alert, options?: NotifyOptions): Promise<void> {
    const users = names
      .map((n) => this.options.directory.get(n))
      .filter((u): u is User => u !== undefined && (about === undefined || this.canSee(u, about)));
    await this.options.notify(users, text, severity, options);
  }

  /** Whether pages about this alert are held back now: snoozed, silenced, or its feed is down. */
  private heldAlert(alert: Alert, now = Date.now()): boolean {
    if (alert.snoozedUntil !== undefined && alert.snoozedUntil > now) return true;
    const update = asUpdate(alert);
    return this.held(update, now) || (!wasPaged(alert) && (this.options.flapping?.(update) ?? false));
  }

  /** Whether pages about this update are held back now: a silence matches, its feed is down, or another alert inhibits it. */
  private held(update: Update, now = Date.now()): boolean {
    return this.options.silences.silencing(update, now) !== undefined || (this.options.inhibited?.(update.source) ?? false) || this.inhibitedByAlert(update);
  }

  /** An open alert (not this one) matching a rule's source, with the same values of its `equal` fields. */
  private inhibitedByAlert(update: Update): boolean {
    const rules = this.options.inhibitRules;
    if (!rules || rules.length === 0) return false;
    const key = Alerting.keyOf(update);
    for (const rule of rules) {
      if (!matchesAll(rule.target, update)) continue;
      for (const alert of this.options.book.open()) {
        if (alert.key === key) continue;
        const source = asUpdate(alert);
        if (matchesAll(rule.source, source) && rule.equal.every((f) => fieldOf(source, f) === fieldOf(update, f))) return true;
      }
    }
    return false;
  }

  /** After an alert closed: with inhibition rules, what it held may be free now. */
  private async released(): Promise<void> {
    if (this.options.inhibitRules?.length) await this.escalate();
    else this.schedule();
  }

  /** Run what is due now (after a silence was lifted, say) and re-arm the timer. */
  sweep(): Promise<void> {
    return this.escalate();
  }

  /**
   * Re-arm the one timer for the earliest group-wait end, escalation step, reminder or silence end.
   * Held alerts (silenced, or their feed down) arm nothing: the silence's end is armed itself, and a
   * feed coming back sweeps. After a pass, whatever is still due waits at least a second, so nothing
   * that a pass cannot take can spin the timer.
   */
  schedule(afterPass = false): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped) return;
    const now = Date.now();
    let next = Infinity;
    for (const alert of this.options.book.open()) {
      if (alert.status !== 'firing') continue;
      // An alert not paged yet is due at the end of its group wait, or now (its page was refused, or a crash came first).
      const firstPage = wasPaged(alert) || this.paging.has(alert.id) ? Infinity : alert.pendingUntil ?? now;
      const soonest = Math.min(alert.nextAt ?? Infinity, firstPage, alert.remindAt ?? Infinity);
      if (alert.snoozedUntil !== undefined && alert.snoozedUntil > now) next = Math.min(next, alert.snoozedUntil);
      else if (soonest < next && !this.held(asUpdate(alert), now)) next = soonest;
    }
    for (const alert of this.options.book.resolvesPending()) next = Math.min(next, alert.resolveDueAt!);
    for (const silence of this.options.silences.active()) next = Math.min(next, silence.endsAt);
    if (next === Infinity) return;
    // Still due right after a pass means the pass could not take it: look again in a second, not at once.
    const delay = next > now ? next - now : afterPass ? 1000 : 0;
    this.timer = setTimeout(() => detach(this.escalate(), (error) => this.logger.error(errorInfo(error), 'escalation failed')), delay);
    this.timer.unref?.();
  }

  /**
   * First pages that are due: alerts whose group wait is over, and alerts opened under a silence or
   * an outage that has ended. Each user gets one message for all of theirs. The pages are accepted by
   * the outbox before the alerts are recorded as paged: a crash in between leaves them due, to be
   * decided again by the next start, whose page the outbox drops while the first waits (same key).
   */
  private async pageDue(now: number, chosen?: readonly User[]): Promise<void> {
    const due = this.options.book
      .open()
      .filter((a) => a.status === 'firing' && !wasPaged(a) && !this.paging.has(a.id) && !(a.pendingUntil !== undefined && a.pendingUntil > now) && !this.heldAlert(a, now));
    if (due.length === 0) return;
    const pages = new PerPerson();
    const decided = due.map((alert) => {
      this.paging.add(alert.id);
      const recipients = (due.length === 1 && chosen) || this.options.router.recipients(asUpdate(alert)).map((r) => r.user).filter((u) => !(u.mutedUntil !== undefined && u.mutedUntil > now));
      for (const user of recipients) pages.add(user, alert);
      return { alert, recipients };
    });
    try {
      await pages.send((l, alerts) => pageText(this.say, l, alerts), this.options.notify, this.options.locale, (alerts) => `page:${alerts.map((a) => a.id).join(',')}`);
      for (const { alert, recipients } of decided) {
        const { pendingUntil: _p, nextAt: _n, ...rest } = this.options.book.get(alert.id) ?? alert;
        // Acked or resolved while its page was on its way: paged, without a schedule (escalation counts from here).
        const policy = rest.status === 'firing' ? this.routeOf(alert)?.alert : undefined;
        const first = policy?.escalate[0];
        const schedule = { ...(policy ? { remindAt: now + policy.repeatInterval } : {}), ...(first ? { nextAt: now + first.after } : {}) };
        const paged = { ...rest, notified: recipients.map((u) => u.name), pagedAt: now, ...schedule };
        await this.options.book.commit(() => noted(paged, event('relay.tl.paged', { names: names(recipients) }, `paged ${names(recipients)}`), now));
        this.counts.paged++;
      }
    } finally {
      for (const { alert } of decided) this.paging.delete(alert.id);
    }
  }

  /** Resolves whose group wait is over: one message per person for all of theirs. */
  private async tellResolves(now: number): Promise<void> {
    const due = this.options.book.resolvesPending().filter((a) => a.resolveDueAt! <= now);
    if (due.length === 0) return;
    const resolves = new PerPerson();
    for (const alert of due) {
      const { resolveDueAt: _due, ...told } = alert;
      await this.options.book.commit(() => told);
      for (const name of alert.notified) {
        const user = this.options.directory.get(name);
        if (user && this.canSee(user, alert)) resolves.add(user, alert);
      }
    }
    await resolves.send((l, alerts) => resolvedText(this.say, l, alerts), this.options.notify, this.options.locale);
  }

  /** Reminders for alerts still firing and unacknowledged (repeat interval). */
  private async remind(now: number): Promise<void> {
    for (const alert of this.options.book.open()) {
      if (alert.status !== 'firing' || alert.remindAt === undefined || alert.remindAt > now || this.heldAlert(alert, now)) continue;
      const policy = this.routeOf(alert)?.alert;
      const updated = await this.options.book.commit(() => {
        const { remindAt: _r, ...rest } = alert;
        return noted(policy ? { ...rest, remindAt: now + policy.repeatInterval } : rest, event('relay.tl.reminded', { names: names(alert.notified) }, `reminded ${names(alert.notified)}`), now);
      });
      const age = now - alert.openedAt;
      await this.tell(updated.notified, (l) => this.say(l, 'relay.reminder', { ...alertParams(this.say, l, alert), duration: formatDurationIn(l, age) }), alert.severity, alert, { reminder: true });
    }
  }

  /**
   * One escalation pass at a time: a pass asked for while one runs makes that one go round once
   * more (it may have read the alerts before the change that asked), and both callers get its end.
   */
  private escalate(): Promise<void> {
    if (this.pass) {
      this.again = true;
      return this.pass;
    }
    this.pass = (async () => {
      do {
        this.again = false;
        await this.escalateOnce();
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.pass = undefined;
      this.schedule(true);
    });
    return this.pass;
  }

  private async escalateOnce(): Promise<void> {
    const now = Date.now();
    try {
      await this.tellResolves(now);
      await this.pageDue(now);
      await this.remind(now);
      for (const alert of this.options.book.open()) {
        if (alert.status !== 'firing' || alert.nextAt === undefined || alert.nextAt > now) continue;
        // A held alert's step stays due: it goes out the moment the silence ends or the feed is back.
        if (this.heldAlert(alert, now)) continue;
        const route = this.routeOf(alert);
        const steps = route?.alert?.escalate ?? [];
        if (!route || steps.length === 0) {
          await this.options.book.commit(() => withoutSteps(alert));
          continue;
        }
        const index = alert.step % steps.length;
        const step = steps[index]!;
        const targets = this.options.router.usersFor(step.notify).filter((u) => this.canSee(u, alert));
        const updated = await this.options.book.commit(() => {
          const advanced = noted(
            { ...alert, step: alert.step + 1, notified: union(alert.notified, targets.map((u) => u.name)) },
            targets.length > 0
              ? event('relay.tl.escalated', { step: index + 1, names: names(targets) }, `escalated (step ${index + 1}) to ${names(targets)}`)
              : event('relay.tl.escalatedNobody', { step: index + 1 }, `escalation step ${index + 1} paged nobody`),
            now,
          );
          const next = this.nextStepAt(advanced, now);
          // After the last step, reminders go on while it fires unacknowledged.
          return next === undefined ? withoutSteps(advanced) : { ...advanced, nextAt: next };
        });
        if (targets.length === 0) {
          this.logger.warn({ alert: alert.id, rule: alert.route, step: index + 1 }, 'escalation step pages nobody: no user it names may see this alert');
          continue;
        }
        this.counts.escalated++;
        const age = now - alert.openedAt;
        await this.options.notify(targets, (l) => this.say(l, 'relay.escalation', { ...alertParams(this.say, l, updated), duration: formatDurationIn(l, age) }), updated.severity);
      }
    } catch (error) {
      this.logger.error(errorInfo(error), 'escalation failed');
    }
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

}

/** Whether the alert's first page went out (alerts stored before `pagedAt` existed: someone was told). */
function wasPaged(alert: Alert): boolean {
  return alert.pagedAt !== undefined || alert.notified.length > 0;
}

/** Without escalation steps, keeping reminders (still firing and unacknowledged). */
function withoutSteps(alert: Alert): Alert {
  const { nextAt: _next, ...rest } = alert;
  return rest;
}

function withoutSchedule(alert: Alert): Alert {
  const { nextAt: _next, remindAt: _remind, pendingUntil: _pending, ...rest } = alert;
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
    ...(alert.labels ? { labels: alert.labels } : {}),
    text: alert.text,
    at: alert.lastSeenAt,
    resolved: false,
  };
}
