import { readerLocale, type Locale, type MessageParams, type User } from '@switchboard/core';
import { SeverityIcons, severityRank, type Severity } from '../Update.js';
import type { Alert } from './Alert.js';
import type { Notify } from '../delivery/RelayNotifier.js';
import { RelaySource } from '../state/FeedHealth.js';

/** The worst severity among alerts. */
export function worstOf(alerts: readonly Alert[]): Severity {
  return alerts.reduce((s, a) => (severityRank(a.severity) > severityRank(s) ? a.severity : s), 'info' as Severity);
}

/** Renders a catalog text in a language (the bridge's catalog, where the relay's texts are). */
export type Say = (locale: Locale, key: string, params?: MessageParams) => string;

/** A first page in `locale`: one alert, or a group's new alerts together. */
export function pageText(say: Say, locale: Locale, alerts: readonly Alert[]): string {
  if (alerts.length === 1) return say(locale, 'relay.page.one', alertParams(say, locale, alerts[0]!));
  return [say(locale, 'relay.page.many', { icon: SeverityIcons[worstOf(alerts)], count: alerts.length }), ...alerts.map((a) => say(locale, 'relay.alertLine', alertParams(say, locale, a)))].join('\n');
}

/** A resolve told by the feed in `locale`: one alert, or a group's together. */
export function resolvedText(say: Say, locale: Locale, alerts: readonly Alert[]): string {
  if (alerts.length === 1) return say(locale, 'relay.resolved.one', alertParams(say, locale, alerts[0]!));
  return [say(locale, 'relay.resolved.many', { count: alerts.length }), ...alerts.map((a) => say(locale, 'relay.alertLine', alertParams(say, locale, a)))].join('\n');
}

/** What every alert text fills in: id, device, text (a feed notice in `locale`), icon. */
export function alertParams(say: Say, locale: Locale, alert: Alert): { id: number; device: string; text: string; icon: string } {
  return { id: alert.id, device: alert.device, text: localText(say, locale, alert), icon: SeverityIcons[alert.severity] };
}

/**
 * An update's or alert's text in `locale`: the relay's own notices (a feed down or back) are
 * rendered from their labels; what a feed said stays as it said it.
 */
export function localText(say: Say, locale: Locale, item: { readonly source: string; readonly state?: string; readonly status?: string; readonly labels?: Readonly<Record<string, string>>; readonly text: string }): string {
  const feed = item.labels?.feed;
  if (item.source !== RelaySource || feed === undefined) return item.text;
  const back = item.state === 'up' || item.status === 'resolved';
  return say(locale, back ? 'relay.feedBack' : 'relay.feedDown', { feed, detail: item.labels?.detail ?? '' });
}

/** Names for a timeline line. */
export function names(people: readonly (string | User)[]): string {
  if (people.length === 0) return 'nobody';
  const list = people.map((p) => (typeof p === 'string' ? p : p.name));
  return list.length > 8 ? `${list.slice(0, 8).join(', ')} and ${list.length - 8} more` : list.join(', ');
}

/**
 * Alerts gathered per person, told in one message each (a group page, grouped resolves); people
 * whose message is the same share one outbox batch.
 */
export class PerPerson {
  private readonly people = new Map<string, { user: User; alerts: Alert[] }>();

  add(user: User, alert: Alert): void {
    const entry = this.people.get(user.name) ?? { user, alerts: [] };
    entry.alerts.push(alert);
    this.people.set(user.name, entry);
  }

  /** Send each person their message, rendered in their language (`locale` for those who chose none). */
  async send(render: (locale: Locale, alerts: readonly Alert[]) => string, notify: Notify, locale: Locale, keyed?: (alerts: readonly Alert[]) => string): Promise<void> {
    const byText = new Map<string, { users: User[]; severity: Severity; dedupeKey?: string }>();
    for (const { user, alerts } of this.people.values()) {
      const text = render(readerLocale(user, locale), alerts);
      const entry = byText.get(text) ?? { users: [], severity: worstOf(alerts), ...(keyed ? { dedupeKey: keyed(alerts) } : {}) };
      entry.users.push(user);
      byText.set(text, entry);
    }
    // Keyed texts are pages: one the outbox refused is the caller's to keep due.
    for (const [text, { users, severity, dedupeKey }] of byText) await notify(users, text, severity, dedupeKey !== undefined ? { dedupeKey, throwRefused: true } : undefined);
  }
}
