import type { User } from '@switchboard/core';
import { SeverityIcons, severityRank, type Severity } from '../Update.js';
import type { Alert } from './Alert.js';
import type { Notify } from '../delivery/RelayNotifier.js';

/** The worst severity among alerts. */
export function worstOf(alerts: readonly Alert[]): Severity {
  return alerts.reduce((s, a) => (severityRank(a.severity) > severityRank(s) ? a.severity : s), 'info' as Severity);
}

/** A first page: one alert, or a group's new alerts together. */
export function pageText(alerts: readonly Alert[]): string {
  if (alerts.length === 1) return `${SeverityIcons[alerts[0]!.severity]} #${alerts[0]!.id} ${alerts[0]!.device}: ${alerts[0]!.text}`;
  return [`${SeverityIcons[worstOf(alerts)]} ${alerts.length} new alerts:`, ...alerts.map((a) => `#${a.id} ${a.device}: ${a.text}`)].join('\n');
}

/** A resolve told by the feed: one alert, or a group's together. */
export function resolvedText(alerts: readonly Alert[]): string {
  if (alerts.length === 1) return `✅ #${alerts[0]!.id} resolved: ${alerts[0]!.device}: ${alerts[0]!.text}`;
  return [`✅ ${alerts.length} alerts resolved:`, ...alerts.map((a) => `#${a.id} ${a.device}: ${a.text}`)].join('\n');
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

  async send(render: (alerts: readonly Alert[]) => string, notify: Notify): Promise<void> {
    const byText = new Map<string, { users: User[]; severity: Severity }>();
    for (const { user, alerts } of this.people.values()) {
      const text = render(alerts);
      const entry = byText.get(text) ?? { users: [], severity: worstOf(alerts) };
      entry.users.push(user);
      byText.set(text, entry);
    }
    for (const [text, { users, severity }] of byText) await notify(users, text, severity);
  }
}
