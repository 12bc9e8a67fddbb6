import { randomInt } from 'node:crypto';
import { addressKey, identityKey } from '../domain/address.js';
import type { InboundMessage } from '../domain/messages.js';
import { auditArgs, type AuditEntry, type AuditLog } from '../audit/AuditLog.js';
import { errorInfo, type Logger } from '../util/Logger.js';
import { detach } from '../util/detach.js';
import { checkArgs, type ArgValues } from './args.js';
import type { Caller, Command } from './Command.js';
import type { DispatchOutcome, Done } from './outcome.js';
import type { ParsedCommand } from './parse.js';
import { Throttle } from './Throttle.js';
import { usageLine } from './localized.js';
import type { Catalog, Message, MessageParams } from '../i18n/Catalog.js';
import type { Locale } from '../i18n/Locale.js';
import { formatDurationIn } from '../i18n/duration.js';

/** What {@link Safeguards} needs from the dispatcher. */
export interface SafeguardHost {
  reply(message: InboundMessage, text: string): Promise<unknown>;
  /** The texts, rendered in each caller's language. */
  readonly messages: Catalog;
  /** Run the command now (tier re-checked, through the handler pool). */
  execute(command: Command, parsed: ParsedCommand, caller: Caller, message: InboundMessage, done: Done, values: ArgValues): Promise<DispatchOutcome>;
  /** The command registered under this name now, if any. */
  resolve(name: string): Command | undefined;
  /** The caller as the directory has them now (a confirmation may come after a change). */
  refresh(caller: Caller): Caller | undefined;
  readonly audit: AuditLog | undefined;
  readonly logger: Logger;
  /** How long a confirmation request waits for its answer. */
  readonly confirmMs: number;
}

/** A command waiting for its caller's `yes <code>`. */
interface Pending {
  readonly code: string;
  readonly command: string;
  readonly parsed: ParsedCommand;
  readonly caller: Caller;
  readonly message: InboundMessage;
  readonly expiresAt: number;
  readonly timer: NodeJS.Timeout;
}

const NoValues: ArgValues = Object.freeze({});

/** Words that answer a confirmation. */
const Answers = new Set(['yes', 'no', '是', '否']);

/**
 * What stands between a guarded command and its handler: its declared arguments are checked, its
 * cooldown and the caller's rate applied, a confirmation asked for when it wants one, and every
 * run of an audited command (and every refusal) appended to the audit log.
 */
export class Safeguards {
  private readonly pending = new Map<string, Pending>();
  private readonly throttle = new Throttle();

  constructor(private readonly host: SafeguardHost) {}

  /** Confirmations waiting for an answer. */
  get awaiting(): number {
    return this.pending.size;
  }

  /** Whether a message named `name` may answer a confirmation (`yes <code>` or `no`). */
  isAnswer(name: string): boolean {
    return Answers.has(name);
  }

  /** A guarded command as typed: check, throttle, confirm or run, and record it. */
  run(command: Command, parsed: ParsedCommand, caller: Caller, message: InboundMessage, done: Done): Promise<DispatchOutcome> {
    // Most guarded commands are only audited (a plugin's `set`, `promote`): straight to the run.
    if (!command.args && !command.confirm && command.cooldownMs === undefined && command.rate === undefined && parsed.args.length >= command.minArgs) {
      return this.start(command, parsed, caller, message, done, NoValues);
    }
    return this.check(command, parsed, caller, message, done);
  }

  private async check(command: Command, parsed: ParsedCommand, caller: Caller, message: InboundMessage, done: Done): Promise<DispatchOutcome> {
    const checked = await this.declared(command, parsed, caller, message, done, 'args.refused');
    if ('outcome' in checked) return checked.outcome;
    if (command.confirm) {
      const limited = await this.limited(command, parsed, caller, message, done);
      return limited ?? this.ask(command, parsed, caller, message, done);
    }
    return this.proceed(command, parsed, caller, message, done, checked.values);
  }

  /**
   * The declared arguments' values (none without `args`, once enough words came), or the outcome
   * of refusing them: the caller told why (`refusal`) with the usage line, and the refusal recorded.
   */
  private async declared(
    command: Command,
    parsed: ParsedCommand,
    caller: Caller,
    message: InboundMessage,
    done: Done,
    refusal: 'args.refused' | 'args.refusedAfterConfirm',
  ): Promise<{ values: ArgValues } | { outcome: DispatchOutcome }> {
    const { locale } = caller;
    if (!command.args) {
      if (parsed.args.length >= command.minArgs) return { values: NoValues };
      await this.host.reply(message, usageLine(this.host.messages, locale, command));
      return { outcome: await this.record(command, parsed, caller, message, done('usage', command.name, caller.user?.name, 'missing arguments')) };
    }
    const checked = checkArgs(command.args, parsed.args);
    if ('values' in checked) return checked;
    await this.say(message, locale, refusal, { reason: this.reason(locale, checked.reason), usage: usageLine(this.host.messages, locale, command) });
    return { outcome: await this.record(command, parsed, caller, message, done('usage', command.name, caller.user?.name, this.host.messages.render('en', checked.reason))) };
  }

  /** Run now unless the command's cooldown or the caller's rate holds it. */
  private async proceed(command: Command, parsed: ParsedCommand, caller: Caller, message: InboundMessage, done: Done, values: ArgValues): Promise<DispatchOutcome> {
    const limited = await this.limited(command, parsed, caller, message, done);
    return limited ?? this.start(command, parsed, caller, message, done, values);
  }

  /**
   * `yes <code>` or `no` from someone: answers their confirmation in this chat, if one waits.
   * @returns undefined when nothing waits for them here (the message is then an ordinary command).
   */
  async answer(parsed: ParsedCommand, caller: Caller, message: InboundMessage, done: Done): Promise<DispatchOutcome | undefined> {
    const key = pendingKey(message);
    const pending = this.pending.get(key);
    if (!pending) return undefined;
    this.pending.delete(key);
    clearTimeout(pending.timer);
    const command = this.host.resolve(pending.command);
    const name = command?.name ?? pending.command;
    const who = caller.user?.name;
    const locale = caller.locale;
    if (Date.now() > pending.expiresAt) return this.cancel(pending, message, done, this.text(locale, 'confirm.expired', { command: name, window: this.window(locale) }), 'expired');
    if (parsed.name === 'no' || parsed.name === '否') return this.cancel(pending, message, done, this.text(locale, 'confirm.declined', { command: name }), 'declined');
    if (parsed.args[0] !== pending.code || parsed.args.length !== 1) {
      return this.cancel(pending, message, done, this.text(locale, 'confirm.wrongCode', { command: name }), 'wrong code');
    }
    if (!command) {
      await this.say(message, locale, 'confirm.removed', { command: name });
      return done('cancelled', name, who, 'command removed');
    }
    const current = this.host.refresh(caller);
    if (!current) {
      await this.say(message, locale, 'dispatch.noLongerUser');
      return this.record(command, pending.parsed, caller, message, done('refused', name, who, 'no longer a user'));
    }
    // The command may have changed while it waited: its arguments are checked again as it is now.
    const checked = await this.declared(command, pending.parsed, current, message, done, 'args.refusedAfterConfirm');
    if ('outcome' in checked) return checked.outcome;
    return this.proceed(command, pending.parsed, current, message, done, checked.values);
  }

  /** A refusal of an audited command before it reached the safeguards (its tier). */
  refused(command: Command, parsed: ParsedCommand, caller: Caller, message: InboundMessage, outcome: DispatchOutcome): Promise<DispatchOutcome> {
    return command.audited ? this.record(command, parsed, caller, message, outcome) : Promise.resolve(outcome);
  }

  /** Drop every waiting confirmation (the bridge stops). */
  stop(): void {
    for (const pending of this.pending.values()) clearTimeout(pending.timer);
    this.pending.clear();
  }

  private async limited(command: Command, parsed: ParsedCommand, caller: Caller, message: InboundMessage, done: Done): Promise<DispatchOutcome | undefined> {
    const wait = this.throttle.wait(command, caller.name);
    if (wait <= 0) return undefined;
    const key = command.cooldownMs && !command.rate ? 'limit.cooldown' : 'limit.rate';
    await this.say(message, caller.locale, key, { command: command.name, wait: formatDurationIn(caller.locale, Math.max(1000, wait)) });
    return this.record(command, parsed, caller, message, done('limited', command.name, caller.user?.name, `wait ${formatDurationIn('en', wait)}`));
  }

  private async ask(command: Command, parsed: ParsedCommand, caller: Caller, message: InboundMessage, done: Done): Promise<DispatchOutcome> {
    const key = pendingKey(message);
    const older = this.pending.get(key);
    if (older) {
      // One request per person and chat: the newer one replaces it.
      this.pending.delete(key);
      clearTimeout(older.timer);
      this.recordLater(older, 'cancelled', 'replaced by a newer request');
    }
    const code = String(randomInt(1000, 10_000));
    const { confirmMs } = this.host;
    const timer = setTimeout(() => this.expire(key, code), confirmMs);
    timer.unref();
    this.pending.set(key, { code, command: command.name, parsed, caller, message, expiresAt: Date.now() + confirmMs, timer });
    const args = parsed.args.length > 0 ? ` ${parsed.args.join(' ')}` : '';
    await this.say(message, caller.locale, 'confirm.ask', { code, window: this.window(caller.locale), command: command.name, args });
    return this.record(command, parsed, caller, message, done('confirm', command.name, caller.user?.name));
  }

  private expire(key: string, code: string): void {
    const pending = this.pending.get(key);
    if (!pending || pending.code !== code) return;
    this.pending.delete(key);
    const text = this.text(pending.caller.locale, 'confirm.expired', { command: pending.command, window: this.window(pending.caller.locale) });
    detach(this.host.reply(pending.message, text), (error) => this.host.logger.warn(errorInfo(error), 'could not send the expiry notice'));
    this.recordLater(pending, 'cancelled', 'not confirmed in time');
  }

  private text(locale: Locale, key: string, params?: MessageParams): string {
    return this.host.messages.t(locale, key, params);
  }

  private say(message: InboundMessage, locale: Locale, key: string, params?: MessageParams): Promise<unknown> {
    return this.host.reply(message, this.text(locale, key, params));
  }

  private window(locale: Locale): string {
    return seconds(this.host.messages, locale, this.host.confirmMs);
  }

  /** A refusal's reason as a sentence start in `locale` (English capitalises it). */
  private reason(locale: Locale, reason: Message): string {
    const text = this.host.messages.render(locale, reason);
    return locale === 'en' ? upperFirst(text) : text;
  }

  private async cancel(pending: Pending, message: InboundMessage, done: Done, text: string, why: string): Promise<DispatchOutcome> {
    await this.host.reply(message, text);
    const command = this.host.resolve(pending.command);
    const outcome = done('cancelled', pending.command, pending.caller.user?.name, why);
    return command ? this.record(command, pending.parsed, pending.caller, message, outcome) : outcome;
  }

  private start(command: Command, parsed: ParsedCommand, caller: Caller, message: InboundMessage, done: Done, values: ArgValues): Promise<DispatchOutcome> {
    this.throttle.started(command, caller.name);
    const run = (): Promise<DispatchOutcome> =>
      this.host.execute(command, parsed, caller, message, done, values).then((outcome) => this.record(command, parsed, caller, message, outcome));
    if (!command.auditStart) return run();
    // On record before it runs: durable before anything leaves.
    return this.append(command, parsed, caller, message, 'started', undefined).then(run);
  }

  /** A confirmation that ended on its own (expired, replaced): recorded without holding anyone up. */
  private recordLater(pending: Pending, outcome: string, detail: string): void {
    const command = this.host.resolve(pending.command);
    // `append` logs its own failure and never rejects.
    if (command) detach(this.append(command, pending.parsed, pending.caller, pending.message, outcome, detail), () => undefined);
  }

  /** Append the outcome to the audit log (awaited: an act is recorded before its dispatch ends). */
  private record(command: Command, parsed: ParsedCommand, caller: Caller, message: InboundMessage, outcome: DispatchOutcome): Promise<DispatchOutcome> {
    return this.append(command, parsed, caller, message, outcome.result, outcome.detail).then(() => outcome);
  }

  /** Append one entry for an audited command; a log that fails is logged, never the caller's failure. */
  private append(command: Command, parsed: ParsedCommand, caller: Caller, message: InboundMessage, outcome: string, detail: string | undefined): Promise<void> {
    const { audit, logger } = this.host;
    if (!command.audited || !audit) return Promise.resolve();
    const failed = (error: unknown): void => logger.error({ ...errorInfo(error), command: command.name }, 'could not append to the audit log');
    try {
      return audit.append(auditEntry(command, parsed, caller, message, outcome, detail)).then(undefined, failed);
    } catch (error) {
      failed(error);
      return Promise.resolve();
    }
  }
}

function auditEntry(command: Command, parsed: ParsedCommand, caller: Caller, message: InboundMessage, outcome: string, detail: string | undefined): AuditEntry {
  // Built field by field (no spread temporaries): one of these is made for every audited command.
  const entry: { -readonly [K in keyof AuditEntry]: AuditEntry[K] } = { at: new Date().toISOString(), actor: caller.name, command: command.name, args: auditArgs(parsed.args, command.args), outcome, via: 'chat' };
  if (caller.tier !== undefined) entry.tier = caller.tier;
  entry.identity = identityKey(message.from);
  entry.chat = addressKey(message.chat);
  if (detail !== undefined) entry.detail = detail;
  return entry;
}

/** One confirmation per person and chat: the same person elsewhere, or another person here, cannot answer it. */
function pendingKey(message: InboundMessage): string {
  return `${identityKey(message.from)}\n${addressKey(message.chat)}`;
}

/** The confirmation window as people are told it: `60 s` / `60秒` (milliseconds below a second). */
export function seconds(messages: Catalog, locale: Locale, ms: number): string {
  return ms >= 1000 ? messages.t(locale, 'seconds', { n: Math.round(ms / 1000) }) : messages.t(locale, 'milliseconds', { n: Math.round(ms) });
}

function upperFirst(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
