import { Subject, type Observable } from 'rxjs';
import { detach, errorInfo, silentLogger, type Logger, type Store } from '@switchboard/core';
import { deviceId, type Severity, type Update } from '../Update.js';

/** What the relay remembers about a device. */
export interface DeviceState {
  readonly source: string;
  readonly key: string;
  readonly topic: string;
  readonly state: string;
  readonly severity: Severity;
  readonly text: string;
  readonly at: number;
  readonly resolved: boolean;
  /** When the state last changed (repeats do not move it). */
  readonly since: number;
}

/** Store key of the device-state document. */
export const DeviceStatesKey = 'relay-state';

/** Options of {@link DeviceStates}. */
export interface DeviceStatesOptions {
  readonly store: Store;
  /** Coalesce writes: at most one per this many ms. @defaultValue 500 */
  readonly flushMs?: number;
  readonly logger?: Logger;
}

/**
 * The last known state of every device, persisted in the core store. A change of state (or of its
 * resolved flag) is news; an unchanged repeat is not, which is what keeps a feed's resync after a
 * reconnect — or a restart of the relay — from notifying everyone again. Events are always news.
 *
 * Writes are coalesced (`flushMs`) so a busy feed does not rewrite the document per frame; a crash
 * can lose at most that window, after which those changes would be reported once more.
 */
export class DeviceStates {
  private readonly states = new Map<string, DeviceState>();
  private readonly flushMs: number;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();
  private readonly changed = new Subject<DeviceState>();
  /** Each device's state as an update is recorded; for live views. */
  readonly changes$: Observable<DeviceState> = this.changed.asObservable();

  constructor(private readonly options: DeviceStatesOptions) {
    this.flushMs = options.flushMs ?? 500;
    this.logger = options.logger ?? silentLogger;
  }

  async load(): Promise<void> {
    const doc = await this.options.store.get<{ version: 1; devices: DeviceState[] }>(DeviceStatesKey);
    this.states.clear();
    for (const state of doc?.devices ?? []) this.states.set(deviceId(state), state);
  }

  /**
   * Record an update. @returns the previous state and whether this update is news: an event, a
   * changed state (or resolved flag), or a first sighting in a state that is not normal.
   */
  observe(update: Update): { readonly news: boolean; readonly previous: DeviceState | undefined } {
    const id = deviceId(update);
    const previous = this.states.get(id);
    const changed = !previous || previous.state !== update.state || previous.resolved !== update.resolved;
    // A device seen for the first time is news only when it is not in a normal state: the first
    // snapshot of a new feed should not page anyone about everything being fine.
    const news = update.event === true || (previous ? changed : !update.resolved);
    const state: DeviceState = {
      source: update.source,
      key: update.key,
      topic: update.topic,
      state: update.state,
      severity: update.severity,
      text: update.text,
      at: update.at,
      resolved: update.resolved,
      since: changed || !previous ? update.at : previous.since,
    };
    this.states.set(id, state);
    if (this.changed.observed) this.changed.next(state);
    this.schedule();
    return { news, previous };
  }

  get(source: string, key: string): DeviceState | undefined {
    return this.states.get(`${source}/${key}`);
  }

  /** Every device, by source then key. */
  list(): DeviceState[] {
    return [...this.states.values()].sort((a, b) => a.source.localeCompare(b.source) || a.key.localeCompare(b.key));
  }

  /** Write now if anything changed; used at shutdown. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.write();
  }

  private schedule(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      detach(this.write(), (error) => this.logger.error(errorInfo(error), 'could not persist device states'));
    }, this.flushMs);
    this.timer.unref?.();
  }

  private write(): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      try {
        await this.options.store.put(DeviceStatesKey, { version: 1, devices: [...this.states.values()] });
      } catch (error) {
        this.dirty = true;
        this.logger.error(errorInfo(error), 'could not persist device states');
      }
    });
    return this.writing;
  }
}
