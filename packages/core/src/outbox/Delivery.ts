import type { Adapter } from '../domain/Adapter.js';
import type { SendResult } from '../domain/messages.js';
import { backoffDelay } from '../util/backoff.js';
import { detach } from '../util/detach.js';
import { formatDuration } from '../util/duration.js';
import { Lanes } from '../util/Lanes.js';
import { errorInfo, type Logger } from '../util/Logger.js';
import { sleep } from '../util/sleep.js';
import type { ChatPace } from './ChatPace.js';
import { DeliveryTurns } from './DeliveryTurns.js';
import type { OutboxJournal } from './OutboxJournal.js';
import type { Pending } from './Pending.js';
import { SendingLane } from './SendingLane.js';
import type { Served, ServedAdapters } from './ServedAdapters.js';
import { companionsOf, NoCompanions, requestFor } from './sendRequest.js';
import type { DeliveryReport } from './types.js';
import type { WindowWaits } from './WindowWaits.js';

/** What {@link Delivery} needs of the outbox it works for. */
export interface DeliveryHost {
  readonly adapters: ServedAdapters;
  readonly journal: OutboxJournal;
  readonly windows: WindowWaits;
  readonly logger: Logger;
  /** Aborts when the outbox stops. */
  readonly signal: AbortSignal;
  readonly options: { readonly retryBaseMs: number; readonly retryMaxMs: number; readonly giveUpAfterMs: number; readonly random: () => number };
  /** A message is finished, delivered (`ok`) or failed: record it, let it go and report it. */
  finish(item: Pending, ok: boolean, reason?: string): true;
  report(item: Pending, status: DeliveryReport['status'], reason?: string): void;
}

/**
 * The delivery half of the outbox: per-destination lanes, each sending its messages in acceptance
 * order through the adapter's rate limit, with retries, retry-after, deferral until a reply window
 * opens, and turns that keep a fan-out from holding the event loop.
 */
export class Delivery {
  /** Per-destination FIFO lanes. */
  readonly lanes = new Lanes<Pending, SendingLane>(undefined, (key) => this.makeLane(key));
  private readonly turns = new DeliveryTurns<SendingLane>((lane) => this.pump(lane));
  /** Lanes running: each holds a message being sent, waiting for a turn, a retry or a window. */
  private inflight = 0;

  constructor(private readonly host: DeliveryHost) {}

  /** Lanes still running (the outbox waits for them to let go when it stops). */
  get running(): number {
    return this.inflight;
  }

  /** Resume every lane waiting for a turn, so each sees the outbox stopping. */
  stop(): void {
    this.turns.stop();
  }

  /**
   * Queue a message on its destination's lane (from `lanes`), starting the lane when it was idle. One loop per
   * active destination keeps acceptance order there, while destinations proceed independently.
   * (A plain lane rather than groupBy + concatMap: fan-out reaches thousands of destinations, and an
   * RxJS group per destination would live, and allocate per message, forever.)
   */
  dispatch(item: Pending, lane: SendingLane): void {
    const idle = this.lanes.pushTo(lane, item);
    if (!idle) return;
    this.inflight++;
    this.pump(idle);
  }

  /**
   * Run a lane while its head can go in one send (one part, no rate limit, nothing to combine: the
   * common case): a send's result continues the lane from a callback, and a lane whose turn's budget
   * is spent is parked with {@link DeliveryTurns} until it is resumed here. Under fan-out nearly
   * every message starts a lane of its own; an async function per lane, and a promise per wait for
   * a turn, were most of what each message allocated (~700 bytes, measured with V8's sampling heap
   * profiler). Anything else goes to {@link runLane}.
   */
  private pump(lane: SendingLane): void {
    for (let item = lane.at(0); item; item = lane.at(0)) {
      // An item already delivered as part of a combined send has nothing to wait for.
      if (item.done) {
        lane.shift();
        continue;
      }
      if (!this.turns.mayGo(lane)) return;
      const served = this.host.adapters.get(item.to.platform);
      if (served && this.sendsAtOnce(served, item) && (!served.pace || served.pace.take(lane) === 0)) {
        // (Never a message that waited for a window: those are sent by deliver(), which marks them
        // `sending`. A head sent here cannot be withdrawn anyway.)
        item.attempts++;
        this.sendHead(lane, item, served.adapter);
      } else {
        detach(this.runLane(lane), (error) => this.laneFailed(lane, error));
      }
      return;
    }
    this.letGo(lane);
  }

  /** A lane's loop ends: it is empty, or the outbox is stopping. */
  private letGo(lane: SendingLane): void {
    this.lanes.release(lane);
    this.inflight--;
  }

  /** Send a lane's head in one go; its result continues the lane (see {@link pump}). */
  private sendHead(lane: SendingLane, item: Pending, adapter: Adapter): void {
    let sending: Promise<SendResult>;
    try {
      sending = adapter.send(requestFor(item, NoCompanions));
    } catch (error) {
      sending = Promise.resolve(this.thrown(error, item));
    }
    sending.then(lane.onResult, lane.onError);
  }

  /** The result of {@link sendHead}: on to the next message, or to runLane for anything but a delivery. */
  private sent(lane: SendingLane, result: SendResult): void {
    if (result.type !== 'delivered') {
      detach(this.runLane(lane, result), (error) => this.laneFailed(lane, error));
      return;
    }
    this.host.finish(partSent(lane.at(0)!), true);
    lane.shift();
    this.pump(lane);
  }

  private makeLane(key: string): SendingLane {
    const lane = new SendingLane(key);
    lane.onResult = (result) => this.sent(lane, result);
    lane.onError = (error) => this.sent(lane, this.thrown(error, lane.at(0)!));
    return lane;
  }

  /**
   * Take a lane's head through whatever {@link pump} cannot do at once: rate limits, parts,
   * combining, retries and deferral (`first` is its result when pump already sent it). Gives the
   * lane back to pump once the head is finished, or lets it go when the outbox stops.
   */
  private async runLane(lane: SendingLane, first?: SendResult): Promise<void> {
    let finished = false;
    try {
      finished = await this.deliver(lane.at(0)!, lane, first);
    } catch (error) {
      this.laneFailed(lane, error);
    }
    if (!finished) return this.letGo(lane);
    lane.shift();
    this.pump(lane);
  }

  private laneFailed(lane: SendingLane, error: unknown): void {
    this.host.logger.error({ ...errorInfo(error), destination: lane.key }, 'outbox lane failed');
  }

  /**
   * Whether `item` can go in one send, with no adapter-wide rate limit to wait for (the chat's own
   * pace is asked next), and not a held notification that may combine with others.
   */
  private sendsAtOnce(served: Served, item: Pending): boolean {
    return (
      served.limiter.unlimited &&
      !item.held &&
      item.next === 0 &&
      item.body.parts.length === 1 &&
      !this.host.signal.aborted
    );
  }

  /**
   * Deliver one message until it is finished (true) or the outbox stops (false; it stays pending).
   * `first` is the result of an attempt already made (see pump).
   */
  private async deliver(item: Pending, lane: SendingLane, first?: SendResult): Promise<boolean> {
    const { body } = item;
    const signal = this.host.signal;
    try {
      while (item.next < body.parts.length) {
        // Withdrawn while it waited (for a window, most often): finished already, nothing to send.
        if (item.done) return true;
        let result: SendResult;
        let companions = NoCompanions;
        if (first) {
          result = first;
          first = undefined;
        } else {
          if (signal.aborted) return false;
          const served = this.host.adapters.get(item.to.platform) ?? (await this.host.adapters.when(item.to.platform, signal));
          if (!served) return false;
          if (!served.limiter.unlimited && !(await served.limiter.acquire(body.priority, signal))) return false;
          if (served.pace && !(await this.paced(served.pace, lane, signal))) return false;
          if (item.done) return true;
          item.attempts++;
          companions = companionsOf(served.adapter, item, lane);
          item.sending = true;
          for (const companion of companions) companion.sending = true;
          try {
            result = await served.adapter.send(requestFor(item, companions));
          } catch (error) {
            result = this.thrown(error, item);
          }
          item.sending = false;
          for (const companion of companions) companion.sending = false;
        }
        if (result.type === 'delivered') {
          for (const companion of companions) this.host.finish(companion, true);
          partSent(item);
          // Losing a progress record in a crash only means resending one part: no fsync of its own.
          if (item.next < body.parts.length) await this.host.journal.progress(item);
          continue;
        }
        if (result.type === 'failed') return this.host.finish(item, false, result.reason);
        if (result.type === 'deferred') {
          if (!item.deferred) this.host.report(item, 'deferred', result.reason);
          item.deferred = true;
          await this.host.windows.wait(item.key, signal);
          // Everything queued here waited for the window too.
          for (let i = 0; i < lane.length; i++) lane.at(i)!.held = true;
          continue;
        }
        const age = Date.now() - body.acceptedAt;
        if (age >= this.host.options.giveUpAfterMs) {
          const reason = `gave up after ${item.attempts} attempts over ${formatDuration(age)}: ${result.reason}`;
          return this.host.finish(item, false, reason);
        }
        item.failures++;
        this.host.report(item, 'retrying', result.reason);
        const delay = result.afterMs ?? backoffDelay(item.failures, {
          baseMs: this.host.options.retryBaseMs,
          maxMs: this.host.options.retryMaxMs,
          random: this.host.options.random,
        });
        // Cut short when the adapter becomes ready (a login): nothing waits out a fixed delay then.
        await this.host.windows.pause(item.to.platform, Math.max(0, delay), signal);
      }
      return this.host.finish(item, true);
    } catch (error) {
      // Only the journal can throw here (a full disk, say). The message stays pending for the next start.
      this.host.logger.error({ ...errorInfo(error), id: item.id }, 'could not record delivery progress');
      return false;
    }
  }

  /** Wait until the chat's pace lets one more send go, and count it; false when the outbox stops first. */
  private async paced(pace: ChatPace, lane: SendingLane, signal: AbortSignal): Promise<boolean> {
    for (let wait = pace.take(lane); wait > 0; wait = pace.take(lane)) {
      await sleep(wait, signal);
      if (signal.aborted) return false;
    }
    return true;
  }

  /** An adapter that throws is treated like a network fault: transient. (Adapters serve the platform of their name.) */
  private thrown(error: unknown, item: Pending): SendResult {
    const reason = error instanceof Error ? error.message : String(error);
    this.host.logger.warn({ ...errorInfo(error), id: item.id, adapter: item.to.platform }, 'adapter threw while sending');
    return { type: 'retry', reason };
  }
}

/** The part `item.next` went out: move on to the next, with a clean slate of failures. */
export function partSent(item: Pending): Pending {
  item.next++;
  item.failures = 0;
  item.deferred = false;
  item.held = false;
  return item;
}
