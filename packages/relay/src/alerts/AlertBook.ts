import { Subject, type Observable } from 'rxjs';
import { Mutex, type Store } from '@switchboard/core';
import type { Alert } from './Alert.js';

/** Store key of the alert document. */
export const AlertsKey = 'relay-alerts';

interface AlertsDocument {
  readonly version: 1;
  readonly nextId: number;
  readonly alerts: Alert[];
}

/** Resolved alerts kept for history (`alerts` shows open ones; ids stay unique regardless). */
const HistoryLimit = 500;

/**
 * Open alerts and recent history, persisted as one document written atomically after every change,
 * so a restart neither re-pages nor forgets (alert traffic is low next to update traffic).
 */
export class AlertBook {
  private alerts = new Map<number, Alert>();
  private openByKey = new Map<string, number>();
  /** Resolved alerts whose resolve is still to be told: asked for on every schedule, so kept rather than searched. */
  private pendingResolves = new Set<number>();
  private nextId = 1;
  private readonly mutex = new Mutex();
  private dirty = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly changed = new Subject<Alert>();
  /** Each alert as it changes (opened, repeated, acked, resolved…); for live views. */
  readonly changes$: Observable<Alert> = this.changed.asObservable();

  constructor(private readonly store: Store) {}

  async load(): Promise<void> {
    const doc = await this.store.get<AlertsDocument>(AlertsKey);
    this.nextId = doc?.nextId ?? 1;
    this.alerts = new Map((doc?.alerts ?? []).map((a) => [a.id, a]));
    this.openByKey = new Map([...this.alerts.values()].filter((a) => a.status !== 'resolved').map((a) => [a.key, a.id]));
    this.pendingResolves = new Set([...this.alerts.values()].filter((a) => a.resolveDueAt !== undefined).map((a) => a.id));
  }

  /** The open (firing or acknowledged) alert for a dedupe key. */
  openFor(key: string): Alert | undefined {
    const id = this.openByKey.get(key);
    return id === undefined ? undefined : this.alerts.get(id);
  }

  get(id: number): Alert | undefined {
    return this.alerts.get(id);
  }

  /** Open alerts, oldest first. */
  open(): Alert[] {
    return [...this.openByKey.values()].map((id) => this.alerts.get(id)!).sort((a, b) => a.id - b.id);
  }

  /**
   * Record bookkeeping that is not a lifecycle change (a repeat's count and last-seen time) in memory,
   * persisted coalesced within a second or at {@link flush}: a busy feed repeating a failing state
   * must not rewrite the document per frame. A crash loses at most that second of counting.
   */
  /** Resolved alerts whose resolve is still to be told (gathered with their group's). */
  resolvesPending(): Alert[] {
    const pending: Alert[] = [];
    for (const id of this.pendingResolves) {
      const alert = this.alerts.get(id);
      if (alert?.status === 'resolved' && alert.resolveDueAt !== undefined) pending.push(alert);
    }
    return pending.sort((a, b) => a.id - b.id);
  }

  /** Resolved alerts kept as history, the most recently resolved first. */
  closed(): Alert[] {
    return [...this.alerts.values()]
      .filter((a) => a.status === 'resolved')
      .sort((a, b) => (b.resolvedAt ?? b.lastSeenAt) - (a.resolvedAt ?? a.lastSeenAt) || b.id - a.id);
  }

  touch(alert: Alert): void {
    this.alerts.set(alert.id, alert);
    this.dirty = true;
    if (this.changed.observed) this.changed.next(alert);
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush().catch(() => undefined);
    }, 1000);
    this.flushTimer.unref?.();
  }

  /** Write touched alerts now (at shutdown). */
  flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    return this.mutex.run(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      await this.store.put(AlertsKey, { version: 1, nextId: this.nextId, alerts: [...this.alerts.values()] } satisfies AlertsDocument);
    });
  }

  /** Persist a change, then apply it. `change` gets the next id for a new alert. */
  commit(change: (nextId: number) => Alert): Promise<Alert> {
    return this.mutex.run(async () => {
      const alert = change(this.nextId);
      const isNew = !this.alerts.has(alert.id);
      const alerts = new Map(this.alerts).set(alert.id, alert);
      const doc: AlertsDocument = {
        version: 1,
        nextId: isNew ? Math.max(this.nextId, alert.id + 1) : this.nextId,
        alerts: trimHistory([...alerts.values()]),
      };
      await this.store.put(AlertsKey, doc);
      this.dirty = false;
      this.nextId = doc.nextId;
      this.alerts = new Map(doc.alerts.map((a) => [a.id, a]));
      if (alert.resolveDueAt !== undefined) this.pendingResolves.add(alert.id);
      else this.pendingResolves.delete(alert.id);
      // A resolved alert leaves the index only if it is the one there (a newer alert of the key may be open).
      if (alert.status === 'resolved') {
        if (this.openByKey.get(alert.key) === alert.id) this.openByKey.delete(alert.key);
      }
      else this.openByKey.set(alert.key, alert.id);
      if (this.changed.observed) this.changed.next(alert);
      return alert;
    });
  }
}

function trimHistory(alerts: Alert[]): Alert[] {
  const resolved = alerts.filter((a) => a.status === 'resolved');
  if (resolved.length <= HistoryLimit) return alerts;
  const drop = new Set(resolved.sort((a, b) => a.id - b.id).slice(0, resolved.length - HistoryLimit).map((a) => a.id));
  return alerts.filter((a) => !drop.has(a.id));
}
