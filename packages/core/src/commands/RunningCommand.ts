import type { InboundMessage } from '../domain/messages.js';
import type { Accepted } from '../outbox/types.js';
import type { Linked } from '../util/LiveList.js';
import type { Expiring } from './Deadlines.js';
import type { ArgValues } from './args.js';
import type { MessageParams } from '../i18n/Catalog.js';
import type { Locale } from '../i18n/Locale.js';
import type { Caller, Command, CommandContext, CommandServices, Invocation, ReplyOptions } from './Command.js';

/** Sends a reply for one invocation; supplied by the dispatcher. */
export type ReplySink = (message: InboundMessage, text: string, options?: ReplyOptions) => Promise<Accepted>;

/**
 * The context of one running command. A class rather than an object literal: the dispatcher makes
 * one per message, and prototype methods keep that allocation small on the hot path.
 */
export class RunningCommand implements CommandContext, Linked<RunningCommand>, Expiring {
  /** Replies accepted or pending acceptance, awaited before the command counts as done. */
  readonly replies: Promise<Accepted>[] = [];
  /** False once the handler finished or timed out; later replies are dropped. */
  open = true;
  /** The declared arguments' values; set by the safeguards before the handler runs. */
  values: ArgValues = NoValues;
  private controller: AbortController | undefined;
  private abortReason: Error | undefined;
  /** @internal When the handler is abandoned (ms since the epoch). */
  deadline = Infinity;
  /** @internal Settles the dispatcher's wait for the handler. */
  settle: ((outcome: unknown) => void) | undefined = undefined;
  /** @internal Links in the dispatcher's list of running commands. */
  prevLive: RunningCommand | undefined = undefined;
  /** @internal */
  nextLive: RunningCommand | undefined = undefined;

  constructor(
    readonly command: Command,
    readonly invocation: Invocation,
    readonly caller: Caller,
    readonly message: InboundMessage,
    readonly services: CommandServices,
    private readonly sink: ReplySink,
    private readonly onLateReply: (command: string) => void,
  ) {}

  get args(): readonly string[] {
    return this.invocation.args;
  }

  get argText(): string {
    return this.invocation.argText;
  }

  get locale(): Locale {
    return this.caller.locale;
  }

  t(key: string, params?: MessageParams): string {
    return this.services.messages.t(this.caller.locale, key, params);
  }

  /** Made on first use: most handlers never look at it. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  reply(text: string, options?: ReplyOptions): Promise<void> {
    if (!this.open) {
      this.onLateReply(this.command.name);
      return Promise.resolve();
    }
    const accepted = this.sink(this.message, text, options);
    this.replies.push(accepted);
    return accepted.then(noop);
  }

  /** The deadline passed: the dispatcher stops waiting for the handler. */
  expire(): void {
    this.settle?.(TimedOut);
  }

  /** Abort the handler's signal (timeout or shutdown). */
  abort(reason: Error): void {
    this.abortReason ??= reason;
    this.controller?.abort(reason);
  }
}

function noop(): void {}

const NoValues: ArgValues = Object.freeze({});

/** What the dispatcher's wait for a handler settles with when the deadline passes first. */
export const TimedOut: unique symbol = Symbol('timed out');

/**
 * Run a handler: settles with what it returned, its error, or {@link TimedOut} when its deadline
 * (watched by {@link Deadlines}) passes first. No timer and no closures of its own: this runs for
 * every command.
 */
export function runWithin(command: Command, ctx: RunningCommand): Promise<unknown> {
  return new Promise((resolve, reject) => {
    ctx.settle = resolve;
    let ran: Promise<unknown>;
    try {
      ran = Promise.resolve(command.run(ctx));
    } catch (error) {
      ran = Promise.reject(error);
    }
    ran.then(resolve, reject);
  });
}
