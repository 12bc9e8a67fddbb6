import type { InboundMessage, Priority } from '../domain/messages.js';
import type { Tier } from '../domain/tiers.js';
import type { User } from '../users/User.js';
import type { Notifier } from '../notify/Notifier.js';
import type { UserDirectory } from '../users/UserDirectory.js';
import type { AuditLog } from '../audit/AuditLog.js';
import type { ArgSpec, ArgValues } from './args.js';
import type { Catalog, MessageParams } from '../i18n/Catalog.js';
import type { Locale } from '../i18n/Locale.js';

/**
 * What a command does, which decides how it is invoked:
 * `get` reads state (`status`), `set` changes a value and needs one (`temp:25`),
 * `control` acts (`restart printer`, `promote bob`).
 */
export type CommandKind = 'get' | 'set' | 'control';

/** A command as its author declares it. */
export interface CommandSpec {
  /** Lower-case name people type: letters, digits, `_` and `-`. */
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly kind: CommandKind;
  /** Least privileged tier allowed to run it; config may override it. */
  readonly minTier: Tier;
  /** One line shown by `help`. */
  readonly description: string;
  /** Argument synopsis shown by `help` and sent back on a missing argument, e.g. `<user> [tier]`. */
  readonly usage?: string;
  /**
   * Fewest arguments the command needs; with fewer, the caller gets the usage back instead of a run.
   * @defaultValue 1 for `set` commands, 0 otherwise
   */
  readonly minArgs?: number;
  /** Per-command handler timeout. @defaultValue the dispatcher's timeout */
  readonly timeoutMs?: number;
  /**
   * Declared arguments, checked before the command runs (and before it asks for confirmation):
   * a value that does not fit gets the caller the usage line and the reason. Their values are in
   * `ctx.values`. Without it, the command parses `ctx.args` itself.
   */
  readonly args?: readonly ArgSpec[];
  /** Ask the caller to confirm with a code (`yes 4821`) before it runs. @defaultValue false */
  readonly confirm?: boolean;
  /** After a run, the command does not run again for this long (for anyone). */
  readonly cooldownMs?: number;
  /** Runs one user may start within `perMs`. */
  readonly rate?: { readonly limit: number; readonly perMs: number };
  /** Whether runs are appended to the audit log. @defaultValue true for `set` and `control`, false for `get` */
  readonly audit?: boolean;
  /**
   * Also append `started` before the handler runs, so an act that reaches outside and takes time
   * (an action) is on record even when the process dies before it ends. @defaultValue false
   */
  readonly auditStart?: boolean;
  /** False: guests never run it, whatever the guest policy lists. @defaultValue true */
  readonly guests?: boolean;
  /**
   * The command in other languages: a description, aliases (resolved whatever the caller's
   * language) and a usage line; `help` shows the first alias of the caller's language as the name.
   */
  readonly locales?: { readonly [L in Locale]?: CommandLocale };
  run(ctx: CommandContext): unknown;
}

/** A command's texts in one language. */
export interface CommandLocale {
  readonly description?: string;
  readonly aliases?: readonly string[];
  readonly usage?: string;
}

/** A registered command, with config overrides applied. */
export interface Command extends CommandSpec {
  readonly aliases: readonly string[];
  readonly usage: string;
  readonly minArgs: number;
  /** Whether runs are appended to the audit log (the spec's `audit`, or its kind). */
  readonly audited: boolean;
  /** Whether it goes through the safeguards (declared args, rate, confirmation, audit) before it runs. */
  readonly guarded: boolean;
}

/** Who is running a command. */
export interface Caller {
  /** The directory user; absent for a guest (an unknown sender allowed by config). */
  readonly user?: User;
  /** The effective tier; guests have none. */
  readonly tier?: Tier;
  /** Display name: the user's name, or what the platform calls the guest. */
  readonly name: string;
  /** The language they read: their own choice (`lang`), else the bridge's. */
  readonly locale: Locale;
  /** Whether this caller may run a command (tier check for users, the guest list for guests). */
  may(command: Command): boolean;
}

/** How a command was typed, after parsing. */
export interface Invocation {
  /** The command name as typed (an alias stays an alias), lower-cased. */
  readonly name: string;
  /** Whitespace-separated arguments. */
  readonly args: readonly string[];
  /** Everything after the command name (or after the `:`), trimmed. */
  readonly argText: string;
  /** True for `set x:v`, `x:v` and `x：v`. */
  readonly assignment: boolean;
}

/** Options of a reply. */
export interface ReplyOptions {
  readonly priority?: Priority;
}

/** What a handler gets. */
export interface CommandContext {
  readonly command: Command;
  readonly invocation: Invocation;
  /** Shorthand for `invocation.args`. */
  readonly args: readonly string[];
  /** Shorthand for `invocation.argText`. */
  readonly argText: string;
  /** The declared arguments' values by name (see {@link CommandSpec.args}); empty without them. */
  readonly values: ArgValues;
  readonly caller: Caller;
  readonly message: InboundMessage;
  /** Aborted when the handler times out or the bridge stops. */
  readonly signal: AbortSignal;
  /**
   * Send text back to the chat the command came from, through the outbox. May be called any
   * number of times (progress, then result). Resolves once the outbox has accepted (persisted) it.
   */
  reply(text: string, options?: ReplyOptions): Promise<void>;
  /** The caller's language (shorthand for `caller.locale`). */
  readonly locale: Locale;
  /** A message of the catalog (the core's, the relay's, those plugins add) in the caller's language. */
  t(key: string, params?: MessageParams): string;
  /** Services the core offers handlers. */
  readonly services: CommandServices;
}

/** What a handler may look up among the commands (the command registry is one). */
export interface CommandCatalog {
  /** The command with this name or alias (case-insensitive). */
  resolve(nameOrAlias: string): Command | undefined;
  /** Every registered command. */
  list(): Command[];
}

/** Core services reachable from a handler; packages add their own via closures. */
export interface CommandServices {
  readonly directory: UserDirectory;
  readonly registry: CommandCatalog;
  /** Outbox size and drain state, for `quit`. */
  pendingOutbound(): number;
  /** Ask the bridge to shut down gracefully (drain the outbox, stop adapters). */
  requestShutdown(reason: string): void;
  /** Where people's notifications go (`notify`, `whoami`); absent in a dispatcher without a bridge. */
  readonly notifier?: Notifier;
  /** Where privileged acts are recorded (`audit`). */
  readonly audit?: AuditLog;
  /** Every text the bridge sends, by key and language. */
  readonly messages: Catalog;
  /** The bridge's language, for callers who chose none. */
  readonly locale: Locale;
}
