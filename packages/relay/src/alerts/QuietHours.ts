import { Mutex, type Store } from '@switchboard/core';

/** A user's quiet hours. */
export interface QuietWindow {
  /** Local start, `HH:MM`. */
  readonly from: string;
  /** Local end, `HH:MM`; before `from` means the window runs past midnight. */
  readonly to: string;
  /** IANA time zone, e.g. `Asia/Shanghai`. */
  readonly timeZone: string;
  /** Critical pages still come through. @defaultValue true */
  readonly critical: boolean;
}

interface QuietDocument {
  readonly version: 1;
  readonly windows: Record<string, QuietWindow>;
  readonly held: Record<string, { text: string; at: number }[]>;
}

/** Store key of the quiet-hours document. */
export const QuietKey = 'relay-quiet';

const hhmm = /^([01]?\d|2[0-3]):([0-5]\d)$/;

/** Minutes after midnight for `HH:MM`. @throws Error naming the bad text. */
export function parseClock(text: string): number {
  const m = hhmm.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a time of day; use HH:MM, e.g. 23:00`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** @throws Error naming a time zone this runtime does not know. */
export function assertTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone });
  } catch {
    throw new Error(`"${timeZone}" is not a time zone; use an IANA name such as Asia/Shanghai or Europe/Berlin`);
  }
}

function localMinutes(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return get('hour') * 60 + get('minute');
}

/** Whether `at` falls inside the window. */
export function inQuietHours(window: QuietWindow, at: number): boolean {
  const m = localMinutes(at, window.timeZone);
  const from = parseClock(window.from);
  const to = parseClock(window.to);
  return from < to ? m >= from && m < to : m >= from || m < to;
}

/** The next instant the window ends, after `at`. */
export function quietEnd(window: QuietWindow, at: number): number {
  const m = localMinutes(at, window.timeZone);
  const delta = (parseClock(window.to) - m + 1440) % 1440 || 1440;
  const startOfMinute = at - (at % 60_000);
  return startOfMinute + delta * 60_000;
}

/** Quiet hours per user and what was held during them; persisted, so a restart keeps both. */
export class QuietHours {
  private doc: QuietDocument = { version: 1, windows: {}, held: {} };
  private anyWindow = false;
  private readonly mutex = new Mutex();

  constructor(private readonly store: Store) {}

  async load(): Promise<void> {
    this.use((await this.store.get<QuietDocument>(QuietKey)) ?? { version: 1, windows: {}, held: {} });
  }

  windowOf(user: string): QuietWindow | undefined {
    // Asked for every recipient of every notification: skip the lookup while nobody has quiet hours.
    if (!this.anyWindow) return undefined;
    return this.doc.windows[user.toLowerCase()];
  }

  /** Whether a page of this severity to this user is held now. */
  holds(user: string, critical: boolean, at = Date.now()): boolean {
    const window = this.windowOf(user);
    if (!window || !inQuietHours(window, at)) return false;
    return !(critical && window.critical);
  }

  setWindow(user: string, window: QuietWindow | undefined): Promise<void> {
    return this.change((doc) => {
      const windows = { ...doc.windows };
      if (window) windows[user.toLowerCase()] = window;
      else delete windows[user.toLowerCase()];
      return { ...doc, windows };
    });
  }

  /** Keep a text for the user's digest. Persisted before it resolves. */
  hold(user: string, text: string, at = Date.now()): Promise<void> {
    return this.change((doc) => ({ ...doc, held: { ...doc.held, [user.toLowerCase()]: [...(doc.held[user.toLowerCase()] ?? []), { text, at }] } }));
  }

  /** Notifications held now for everyone's digests. */
  heldCount(): number {
    let n = 0;
    for (const texts of Object.values(this.doc.held)) n += texts.length;
    return n;
  }

  /** Users with something held whose quiet hours are over at `at`, with what was held. */
  due(at = Date.now()): { user: string; texts: string[] }[] {
    return Object.entries(this.doc.held)
      .filter(([user, items]) => items.length > 0 && !(this.windowOf(user) && inQuietHours(this.windowOf(user)!, at)))
      .map(([user, items]) => ({ user, texts: items.map((i) => i.text) }));
  }

  /** When the next digest is due: the earliest quiet end among users with something held. */
  nextDigestAt(at = Date.now()): number | undefined {
    const ends = Object.entries(this.doc.held)
      .filter(([, items]) => items.length > 0)
      .map(([user]) => this.windowOf(user))
      // Held for someone whose quiet hours are over (they ended while the bridge was down): due now.
      .map((w) => (w && inQuietHours(w, at) ? quietEnd(w, at) : at));
    return ends.length > 0 ? Math.min(...ends) : undefined;
  }

  /** Forget what was held for a user (after the digest was accepted by the outbox). */
  clear(user: string, count: number): Promise<void> {
    return this.change((doc) => ({ ...doc, held: { ...doc.held, [user]: (doc.held[user] ?? []).slice(count) } }));
  }

  /** The one place the document is replaced, so `anyWindow` always follows it. */
  private use(doc: QuietDocument): void {
    this.doc = doc;
    this.anyWindow = Object.keys(doc.windows).length > 0;
  }

  private change(fn: (doc: QuietDocument) => QuietDocument): Promise<void> {
    return this.mutex.run(async () => {
      const next = fn(this.doc);
      await this.store.put(QuietKey, next);
      this.use(next);
    });
  }
}
