import { Subject, type Observable, type Subscription } from 'rxjs';
import { identityKey } from '../domain/address.js';
import type { InboundMessage, OutboundMessage } from '../domain/messages.js';
import { satisfiesTier } from '../domain/tiers.js';
import { CommandError } from '../errors.js';
import type { Accepted } from '../outbox/types.js';
import type { User } from '../users/User.js';
import type { UserDirectory } from '../users/UserDirectory.js';
import { formatDurationIn } from '../i18n/duration.js';
import { clip } from '../util/clip.js';
import { errorInfo, silentLogger, type Logger } from '../util/Logger.js';
import { detach } from '../util/detach.js';
import { Lane, Lanes } from '../util/Lanes.js';
import { LiveList } from '../util/LiveList.js';
import { Semaphore } from '../util/Semaphore.js';
import { definedOnly } from '../util/definedOnly.js';
import type { Caller, Command, CommandServices, ReplyOptions } from './Command.js';
import { Deadlines } from './Deadlines.js';
import { RunningCommand, runWithin, TimedOut } from './RunningCommand.js';
import type { CommandRegistry } from './CommandRegistry.js';
import { Callers, type GuestPolicy } from './Callers.js';
import { runMiddleware, type Middleware, type MiddlewareMessage } from './middleware.js';
import { parseCommand, type ParsedCommand } from './parse.js';
import type { DispatchOutcome, Done } from './outcome.js';
import { DispatchCounts } from './DispatchCounts.js';
import { Safeguards, seconds } from './Safeguards.js';
import type { ArgValues } from './args.js';
import { coreCatalog, DefaultLocale, type Catalog, type Locale, type MessageParams } from '../i18n/index.js';
import { suggestCommand } from './suggest.js';
import { usageLine } from './localized.js';

export type { DispatchOutcome } from './outcome.js';

/** Options of {@link Dispatcher}. */
export interface DispatcherOptions {
  readonly directory: UserDirectory;
  readonly registry: CommandRegistry;
  /** Where replies go: the outbox's `enqueue`. */
  readonly send: (message: OutboundMessage) => Promise<Accepted>;
  readonly services: Omit<CommandServices, 'directory' | 'registry' | 'messages' | 'locale'>;
  /** Every text the bridge sends. @defaultValue the core's messages */
  readonly messages?: Catalog;
  /** The language of callers who chose none. @defaultValue 'en' */
  readonly locale?: Locale;
  readonly logger?: Logger;
  /** Extra command prefix, e.g. `!`. `/` always works. In groups, an unprefixed message runs only known commands. */
  readonly prefix?: string;
  readonly guest?: GuestPolicy;
  /** Handlers running at once, across all users. @defaultValue 64 */
  readonly concurrency?: number;
  /** A handler still running after this long is abandoned and its caller told. @defaultValue 30000 */
  readonly timeoutMs?: number;
  /**
   * Longest message taken, in characters; a longer one is not run and its sender told.
   * @defaultValue 4000
   */
  readonly maxInput?: number;
  /** Messages of one sender waiting to be handled; past this, more are not taken. @defaultValue 256 */
  readonly maxQueued?: number;
  /**
   * Commands per second one sender may send, sustained (users at tier `user` and guests; admins
   * and root are exempt); 0 turns the limit off. @defaultValue 1
   */
  readonly userRate?: number;
  /** Commands one sender may send at once above the sustained rate. @defaultValue 10 */
  readonly userBurst?: number;
  /** A known user wrote (a command or not): the bridge notes the platform for `notify last`. */
  readonly onSeen?: (user: User, message: InboundMessage) => Promise<void>;
  /** How long a command with `confirm` waits for its caller's `yes <code>`. @defaultValue 60000 */
  readonly confirmMs?: number;
}

/** Defaults of {@link DispatcherOptions}. */
export const DefaultDispatcherOptions = {
  concurrency: 64,
  timeoutMs: 30_000,
  maxInput: 4000,
  maxQueued: 256,
  userRate: 1,
  userBurst: 10,
  guest: { enabled: false, commands: ['help', 'whoami'] },
  confirmMs: 60_000,
} as const satisfies Partial<DispatcherOptions>;

/** A sender's notices that messages were not taken: at most one per this long. */
const NoticeEveryMs = 60_000;

/** A sender's queue, with their rate bucket and when they were last told a message was not taken. */
class SenderLane extends Lane<InboundMessage> {
  tokens = 0;
  /** performance.now() of their last message counted against the rate; 0 before the first. */
  seenAt = 0;
  noticedAt = 0;
}

/**
 * Turns inbound messages into command runs: parse, resolve the sender, check the tier, run the
 * handler with a timeout inside a bounded pool, and send what it says through the outbox.
 */
export class Dispatcher {
  private readonly logger: Logger;
  private readonly options: DispatcherOptions & typeof DefaultDispatcherOptions;
  private readonly services: CommandServices;
  private readonly outcomesSubject = new Subject<DispatchOutcome>();
  /** Running handlers, aborted when the dispatcher stops. */
  private readonly running = new LiveList<RunningCommand>();
  private readonly deadlines = new Deadlines(this.running);
  private readonly callers: Callers;
  private readonly sendReply = (message: InboundMessage, text: string, options?: ReplyOptions): Promise<Accepted> =>
    this.reply(message, text, options);
  private readonly onLateReply = (command: string): void =>
    this.logger.debug({ command }, 'reply after the handler finished or timed out; dropped');
  private stopped = false;
  private readonly intakes: Subscription[] = [];
  /** Each sender's messages not yet handled, the head being handled now. */
  private readonly senders = new Lanes<InboundMessage, SenderLane>(undefined, (key) => new SenderLane(key));
  private readonly slots: Semaphore;
  /** Replaced, never changed in place: a chain already running keeps the list it started with. */
  private middleware: readonly Middleware[] = [];
  private backlog = 0;
  private readonly safeguards: Safeguards;

  /** One outcome per inbound message: for metrics, tests and the benchmark. */
  readonly outcomes$: Observable<DispatchOutcome> = this.outcomesSubject.asObservable();
  private counts: DispatchCounts | undefined;

  constructor(options: DispatcherOptions) {
    this.options = { ...DefaultDispatcherOptions, ...definedOnly(options) } as typeof this.options;
    if (!(this.options.concurrency >= 1)) throw new RangeError('dispatcher concurrency must be at least 1');
    if (!(this.options.timeoutMs > 0)) throw new RangeError('dispatcher timeout must be positive');
    this.slots = new Semaphore(this.options.concurrency);
    const locale = options.locale ?? DefaultLocale;
    this.callers = new Callers(options.directory, this.options.guest, locale);
    this.logger = (options.logger ?? silentLogger).child({ component: 'dispatcher' });
    this.services = {
      directory: options.directory,
      registry: options.registry,
      messages: options.messages ?? coreCatalog(),
      locale,
      ...options.services,
    };
    this.safeguards = new Safeguards({
      reply: (message, text) => this.reply(message, text),
      messages: this.services.messages,
      execute: (command, parsed, caller, message, done, values) => this.slots.use(() => this.execute(command, parsed, caller, message, done, values)),
      resolve: (name) => this.options.registry.resolve(name),
      refresh: (caller) => {
        if (!caller.user) return caller;
        const current = this.options.directory.get(caller.user.name);
        return current && this.callers.of(current);
      },
      audit: this.services.audit,
      logger: this.logger,
      confirmMs: this.options.confirmMs,
    });
  }

  /** Handlers currently running. */
  get active(): number {
    return this.slots.inUse;
  }

  /** Messages received and not yet handled (queued behind their sender's earlier ones, or running). */
  get pending(): number {
    return this.backlog;
  }

  /**
   * Feed a stream of inbound messages in. Each sender's messages are handled one after another, in
   * the order they were sent (people expect `promote carol` to finish before their next line);
   * different senders run in parallel, at most `concurrency` handlers at once.
   * @returns the subscription of this stream (ended by {@link detach} or {@link stop}).
   */
  attach(inbound$: Observable<InboundMessage>): Subscription {
    const sub = inbound$.subscribe({
      next: (message) => this.receive(message),
      error: (error: unknown) => this.logger.error(errorInfo(error), 'inbound stream failed'),
    });
    this.intakes.push(sub);
    return sub;
  }

  /**
   * Queue a message behind its sender's earlier ones. (Lanes rather than RxJS groupBy: a group per
   * sender, without a duration, would be kept forever, and a bot in a busy group sees many people.)
   */
  private receive(message: InboundMessage): void {
    if (this.stopped) return;
    const lane = this.senders.lane(identityKey(message.from));
    const refusal = this.refusal(lane, message);
    if (refusal !== undefined) {
      this.limited(lane, message, refusal);
      return;
    }
    this.backlog++;
    const idle = this.senders.pushTo(lane, message);
    if (idle) detach(this.runSender(idle), (error) => this.logger.error(errorInfo(error), 'command lane failed'));
  }

  /**
   * Why a message is not taken, if it is not: too long, too many of the sender's waiting, or over
   * their rate (a token bucket kept on their lane; admins and root are exempt).
   */
  private refusal(lane: SenderLane, message: InboundMessage): string | undefined {
    const { maxInput, maxQueued, userRate, userBurst } = this.options;
    if (message.text.length > maxInput) return this.text(message, 'dispatch.tooLong', { length: message.text.length, max: maxInput });
    if (lane.length >= maxQueued) return this.text(message, 'dispatch.tooMany', { max: maxQueued });
    if (!(userRate > 0)) return undefined;
    const user = this.callers.sender(message);
    if (user && user.tier !== 'user') return undefined;
    const now = performance.now();
    lane.tokens = lane.seenAt === 0 ? userBurst : Math.min(userBurst, lane.tokens + ((now - lane.seenAt) * userRate) / 1000);
    lane.seenAt = now;
    // Kept through idle sweeps until the bucket would be full again, so pausing does not refill it.
    lane.holdUntil = now + (userBurst / userRate) * 1000;
    if (lane.tokens < 1) return this.text(message, 'dispatch.tooFast', { rate: userRate }, user);
    lane.tokens -= 1;
    return undefined;
  }

  /** A message not taken: its sender hears why once a minute at most, however many follow. */
  private limited(lane: SenderLane, message: InboundMessage, why: string): void {
    const now = performance.now();
    if (now - lane.noticedAt >= NoticeEveryMs || lane.noticedAt === 0) {
      lane.noticedAt = now;
      this.logger.warn({ from: identityKey(message.from), reason: why }, 'message not taken');
      detach(this.reply(message, why), (error) => this.logger.warn(errorInfo(error), 'could not send the limit notice'));
    }
    if (this.outcomesSubject.observed) this.outcomesSubject.next({ messageId: message.id, result: 'limited', ms: 0 });
  }

  private async runSender(lane: SenderLane): Promise<void> {
    try {
      for (let message = lane.at(0); message && !this.stopped; message = lane.at(0)) {
        await this.handle(message);
        lane.shift();
        this.backlog--;
      }
    } finally {
      // Dropped by stop(): no longer pending.
      while (lane.shift() !== undefined) this.backlog--;
      this.senders.release(lane);
    }
  }

  /** Stop taking new messages; those already received are still handled. */
  detach(): void {
    for (const sub of this.intakes.splice(0)) sub.unsubscribe();
  }

  /** Wait until every received message has been handled, or the timeout passes. @returns true when idle. */
  async idle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.backlog > 0) {
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return true;
  }

  /** Stop taking messages, drop what is queued, and abort running handlers. */
  stop(): void {
    this.detach();
    this.stopped = true;
    for (const ctx of [...this.running]) ctx.abort(new Error('the bridge is stopping'));
    // A handler that ignores the abort no longer holds the process open until its timeout.
    this.deadlines.stop();
    this.safeguards.stop();
    this.outcomesSubject.complete();
  }

  /** Count every outcome from now on, for metrics (cheaper than following {@link outcomes$}). */
  countOutcomes(): DispatchCounts {
    this.counts ??= new DispatchCounts((name) => this.options.registry.canonical(name));
    return this.counts;
  }

  /** Handle one message end to end. Never rejects. */
  handle(message: InboundMessage): Promise<DispatchOutcome> {
    const started = performance.now();
    const done: Done = (result, command, user, detail) => {
      this.counts?.count(command, result, performance.now() - started);
      if (!this.outcomesSubject.observed) return detail === undefined ? { messageId: message.id, result, ms: 0 } : { messageId: message.id, result, ms: 0, detail };
      // Fields set one by one rather than spread in: this runs for every message while /metrics counts them.
      const outcome: { -readonly [K in keyof DispatchOutcome]: DispatchOutcome[K] } = { messageId: message.id, result, ms: performance.now() - started };
      if (command !== undefined) outcome.command = command;
      if (user !== undefined) outcome.user = user;
      if (detail !== undefined) outcome.detail = detail;
      this.outcomesSubject.next(outcome);
      return outcome;
    };
    let user: User | undefined;
    try {
      user = this.callers.sender(message);
    } catch (error) {
      return Promise.resolve(this.failed(error, message, done));
    }
    const seen = user !== undefined && this.options.onSeen !== undefined && user.lastPlatform !== message.platform;
    // Middleware sees only senders the guest policy admits.
    const chain = this.callers.admits(user) ? this.middleware : [];
    // The common case (no middleware, no platform switch) goes straight to the command path.
    if (!seen && chain.length === 0) return this.dispatch(message, user, done);
    return this.handleVia(message, user, seen, chain, done);
  }

  /** A message that switched platforms first (noted before anything runs), or meets middleware. */
  private async handleVia(message: InboundMessage, sender: User | undefined, seen: boolean, chain: readonly Middleware[], done: Done): Promise<DispatchOutcome> {
    let user = sender;
    try {
      if (user && seen) {
        // Only when they switched platforms: what runs next (whoami, a held page) sees the new one.
        await this.options.onSeen!(user, message);
        user = this.options.directory.get(user.name) ?? user;
      }
      if (chain.length === 0) return await this.dispatch(message, user, done);
      let outcome: DispatchOutcome | undefined;
      await runMiddleware(chain, this.middlewareMessage(message, user), async () => {
        outcome = await this.dispatch(message, user, done);
      });
      return outcome ?? done('handled', undefined, user?.name);
    } catch (error) {
      return this.failed(error, message, done);
    }
  }

  private failed(error: unknown, message: InboundMessage, done: Done): DispatchOutcome {
    this.logger.error({ ...errorInfo(error), messageId: message.id }, 'could not handle message');
    return done('error');
  }

  /**
   * Add a middleware after those already there; it sees messages received from now on.
   * @returns a disposer that removes it.
   */
  use(middleware: Middleware): () => void {
    this.middleware = [...this.middleware, middleware];
    return () => {
      this.middleware = this.middleware.filter((m) => m !== middleware);
    };
  }

  private middlewareMessage(message: InboundMessage, user: User | undefined): MiddlewareMessage {
    return {
      text: message.text,
      message,
      caller: user ? this.callers.of(user) : this.callers.guest(message),
      reply: (text, options) => this.reply(message, text, options),
    };
  }

  /** Parse a message as a command and run it. Never rejects. */
  private async dispatch(message: InboundMessage, user: User | undefined, done: Done): Promise<DispatchOutcome> {
    try {
      const parsed = parseCommand(message.text, this.options.prefix ? { prefix: this.options.prefix } : {});
      if (!parsed) return done('ignored');
      const addressed = message.mentionsBot || parsed.prefixed || message.chat.kind === 'dm' || message.chat.kind === 'user';
      if (this.safeguards.awaiting > 0 && this.safeguards.isAnswer(parsed.name) && this.callers.admits(user)) {
        const answered = await this.safeguards.answer(parsed, user ? this.callers.of(user) : this.callers.guest(message), message, done);
        if (answered) return answered;
      }
      const command = this.options.registry.resolve(parsed.name);

      if (!user) return await this.handleGuest(message, parsed, command, addressed, done);
      if (!command) {
        // In a group, chatter that is not addressed to the bot is not a failed command.
        if (!addressed) return done('ignored', parsed.name, user.name);
        const locale = this.callers.localeOf(user);
        if (this.safeguards.isAnswer(parsed.name)) {
          await this.say(message, locale, 'dispatch.nothingWaiting', { window: seconds(this.services.messages, locale, this.options.confirmMs) });
          return done('unknown', parsed.name, user.name);
        }
        const suggestion = suggestCommand(parsed.name, this.options.registry.list(), this.callers.of(user));
        if (suggestion) await this.say(message, locale, 'dispatch.suggest', { name: clip(parsed.name), suggestion });
        else await this.say(message, locale, 'dispatch.unknown', { name: clip(parsed.name) });
        return done('unknown', parsed.name, user.name);
      }
      if (!satisfiesTier(user.tier, command.minTier)) {
        await this.say(message, this.callers.localeOf(user), 'dispatch.needsTier', { command: command.name, tier: command.minTier, current: user.tier });
        return await this.safeguards.refused(command, parsed, this.callers.of(user), message, done('refused', command.name, user.name, `needs ${command.minTier}`));
      }
      return await this.run(command, parsed, this.callers.of(user), message, done);
    } catch (error) {
      return this.failed(error, message, done);
    }
  }

  private async handleGuest(
    message: InboundMessage,
    parsed: ParsedCommand,
    command: Command | undefined,
    addressed: boolean,
    done: Done,
  ): Promise<DispatchOutcome> {
    // Unknown senders learn nothing, not even that a command exists, unless config lets guests in.
    if (!this.callers.guestsAdmitted) return done('ignored', parsed.name);
    const caller = this.callers.guest(message);
    if (!command || !caller.may(command)) {
      if (addressed) await this.say(message, caller.locale, 'dispatch.notRegistered');
      return done('refused', parsed.name);
    }
    return this.run(command, parsed, caller, message, done);
  }

  private run(
    command: Command,
    parsed: ParsedCommand,
    caller: Caller,
    message: InboundMessage,
    done: Done,
  ): Promise<DispatchOutcome> {
    if (command.guarded) return this.safeguards.run(command, parsed, caller, message, done);
    if (parsed.args.length < command.minArgs) return this.usage(command, caller, message, done);
    return this.slots.use(() => this.execute(command, parsed, caller, message, done));
  }

  private async usage(command: Command, caller: Caller, message: InboundMessage, done: Done): Promise<DispatchOutcome> {
    await this.reply(message, usageLine(this.services.messages, caller.locale, command));
    return done('usage', command.name, caller.user?.name);
  }

  private async execute(
    command: Command,
    parsed: ParsedCommand,
    caller: Caller,
    message: InboundMessage,
    done: Done,
    values?: ArgValues,
  ): Promise<DispatchOutcome> {
    if (caller.user) {
      // The tier as stored now, not as it was when the message arrived: a demotion (or removal)
      // made while this command waited for its turn or a slot holds.
      const current = this.options.directory.get(caller.user.name);
      if (!current) {
        await this.say(message, caller.locale, 'dispatch.noLongerUser');
        return done('refused', command.name, caller.user.name);
      }
      if (!satisfiesTier(current.tier, command.minTier)) {
        await this.say(message, this.callers.localeOf(current), 'dispatch.needsTier', { command: command.name, tier: command.minTier, current: current.tier });
        return done('refused', command.name, current.name, `needs ${command.minTier}`);
      }
      if (current !== caller.user) caller = this.callers.of(current);
    }
    const timeoutMs = command.timeoutMs ?? this.options.timeoutMs;
    const ctx = new RunningCommand(command, parsed, caller, message, this.services, this.sendReply, this.onLateReply);
    if (values) ctx.values = values;
    if (this.stopped) ctx.abort(new Error('the bridge is stopping'));
    ctx.deadline = Date.now() + timeoutMs;
    this.deadlines.add(ctx);

    try {
      if ((await runWithin(command, ctx)) === TimedOut) {
        ctx.open = false;
        ctx.abort(new Error('timed out'));
        this.logger.warn({ command: command.name, timeoutMs }, 'command timed out');
        await this.say(message, caller.locale, 'dispatch.timeout', { command: command.name, duration: formatDurationIn(caller.locale, timeoutMs) });
        return done('timeout', command.name, caller.user?.name, `abandoned after ${formatDurationIn('en', timeoutMs)}`);
      }
      // Replies the handler did not await still count: the command is done once they are accepted.
      const { replies } = ctx;
      if (replies.length === 1) await replies[0];
      else if (replies.length > 1) await Promise.all(replies);
      return done('ok', command.name, caller.user?.name);
    } catch (error) {
      if (error instanceof CommandError) {
        await this.reply(message, error.message);
        return done('error', command.name, caller.user?.name, error.message);
      }
      const ref = message.id.slice(-8);
      this.logger.error({ ...errorInfo(error), command: command.name, messageId: message.id }, 'command failed');
      await this.say(message, caller.locale, 'dispatch.internal', { command: command.name, ref });
      return done('error', command.name, caller.user?.name, `internal error (ref ${ref})`);
    } finally {
      ctx.open = false;
      this.deadlines.delete(ctx);
    }
  }

  /** A catalog text in the language of the message's sender. */
  private text(message: InboundMessage, key: string, params?: MessageParams, sender: User | undefined = this.callers.sender(message)): string {
    return this.services.messages.t(this.callers.localeOf(sender), key, params);
  }

  private say(message: InboundMessage, locale: Locale, key: string, params?: MessageParams): Promise<Accepted> {
    return this.reply(message, this.services.messages.t(locale, key, params));
  }

  private reply(message: InboundMessage, text: string, options?: ReplyOptions): Promise<Accepted> {
    return this.options.send({
      to: message.chat,
      text,
      priority: options?.priority ?? 'normal',
      ...(message.replyContext !== undefined ? { replyContext: message.replyContext } : {}),
    });
  }
}
