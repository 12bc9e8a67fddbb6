import { atLeast, deviceId, type Severity, type Update } from '../Update.js';

/** What a flapping device did while its changes were held back. */
export interface FlapSummary {
  /** Its last update. */
  readonly update: Update;
  /** Changes from the first one counted in the window to the last. */
  readonly changes: number;
  /** Milliseconds from the first change counted to the summary. */
  readonly spanMs: number;
  /** The worst severity among them: the summary goes to the audience of that. */
  readonly worst: Severity;
}

interface Entry {
  /** When the recent changes happened (those within the window). */
  times: number[];
  /** Set while the device is flapping: changes are held and one summary is due. */
  timer: NodeJS.Timeout | undefined;
  startedAt: number;
  counted: number;
  worst: Severity;
  last: Update | undefined;
}

/**
 * Flap damping for notifications: a device may change `changes` times within `windowMs` and each
 * change is told; past that, its changes are held and, one window after the first held change, a
 * single summary goes out ("door changed 47 times in 1m, now ok"). A device still flapping then
 * starts another window.
 */
export class FlapDamper {
  private readonly devices = new Map<string, Entry>();

  constructor(
    private readonly options: { readonly changes: number; readonly windowMs: number; readonly onSummary: (summary: FlapSummary) => void },
  ) {}

  /** A change of a device's state at `now`: true to tell people now, false when it is held for the summary. */
  change(update: Update, now = Date.now()): boolean {
    const id = deviceId(update);
    let entry = this.devices.get(id);
    if (!entry) {
      entry = { times: [], timer: undefined, startedAt: now, counted: 0, worst: update.severity, last: undefined };
      this.devices.set(id, entry);
    }
    const since = now - this.options.windowMs;
    let drop = 0;
    while (drop < entry.times.length && entry.times[drop]! <= since) drop++;
    if (drop > 0) entry.times.splice(0, drop);
    entry.times.push(now);
    if (entry.timer === undefined && entry.times.length <= this.options.changes) return true;
    if (entry.timer === undefined) {
      // It starts flapping: the summary counts every change of this window.
      entry.startedAt = entry.times[0]!;
      entry.counted = entry.times.length;
      entry.worst = update.severity;
      entry.timer = setTimeout(() => this.flush(id), this.options.windowMs);
      entry.timer.unref?.();
    } else {
      entry.counted++;
    }
    if (atLeast(update.severity, entry.worst)) entry.worst = update.severity;
    entry.last = update;
    return false;
  }

  /** Whether this device is flapping now (its changes are being held for a summary). */
  isFlapping(update: Pick<Update, 'source' | 'key'>): boolean {
    return this.devices.get(deviceId(update))?.timer !== undefined;
  }

  /** Devices flapping now. */
  get flapping(): number {
    let n = 0;
    for (const entry of this.devices.values()) if (entry.timer !== undefined) n++;
    return n;
  }

  stop(): void {
    for (const entry of this.devices.values()) clearTimeout(entry.timer);
    this.devices.clear();
  }

  private flush(id: string): void {
    const entry = this.devices.get(id);
    if (!entry?.last) return;
    const summary: FlapSummary = { update: entry.last, changes: entry.counted, spanMs: Date.now() - entry.startedAt, worst: entry.worst };
    entry.timer = undefined;
    entry.last = undefined;
    this.options.onSummary(summary);
  }
}
