import { Subject, type Observable } from 'rxjs';
import { isTier, type Tier } from '../domain/tiers.js';
import type { Command, CommandCatalog, CommandSpec } from './Command.js';
import { argsArity, argsUsage, assertArgSpecs } from './args.js';

/** Per-command overrides from config. */
export interface CommandOverride {
  readonly minTier?: Tier | undefined;
  readonly disabled?: boolean | undefined;
}

/** One change to the registry, as emitted on {@link CommandRegistry.commands$}. */
export type RegistryChange =
  | { readonly type: 'registered'; readonly command: Command }
  | { readonly type: 'updated'; readonly command: Command; readonly previous: Command }
  | { readonly type: 'unregistered'; readonly command: Command };

const namePattern = /^[a-z][a-z0-9_-]{0,31}$/;
/** Aliases may also be Chinese (`帮助`, `状态`). */
const aliasPattern = /^[a-z\p{Script=Han}][a-z0-9_\-\p{Script=Han}]{0,31}$/u;

/**
 * Commands known to the bridge. Commands come and go at runtime (a feed's commands appear
 * when it is configured); `help` and the dispatcher always see the current set.
 */
export class CommandRegistry implements CommandCatalog {
  private readonly commands = new Map<string, Command>();
  /** name or alias → canonical name */
  private readonly index = new Map<string, string>();
  private overrides = new Map<string, CommandOverride>();
  private readonly changesSubject = new Subject<RegistryChange>();

  /** Registrations, updates and removals, in order. */
  readonly commands$: Observable<RegistryChange> = this.changesSubject.asObservable();

  /** Apply config overrides (tier changes, disabled commands); they also apply to commands registered later. */
  setOverrides(overrides: Readonly<Record<string, CommandOverride>>): void {
    this.overrides = new Map(Object.entries(overrides).map(([name, o]) => [name.toLowerCase(), o]));
  }

  /** Names in the overrides that match no registered command. */
  unknownOverrides(): string[] {
    return [...this.overrides.keys()].filter((name) => !this.commands.has(name));
  }

  /**
   * Register a command.
   * @returns a disposer that unregisters it (and nothing registered later under the same name).
   * @throws Error when the name or an alias is taken, TypeError when the spec is malformed.
   */
  register(spec: CommandSpec): () => void {
    const command = this.normalise(spec);
    this.assertFree(command, undefined);
    this.commands.set(command.name, command);
    this.indexNames(command);
    this.changesSubject.next({ type: 'registered', command });
    return () => {
      if (this.commands.get(command.name)?.run === command.run) this.unregister(command.name);
    };
  }

  /**
   * Change a registered command (description, tier, handler, aliases…); the name stays.
   * @throws Error when no such command is registered.
   */
  update(name: string, patch: Partial<Omit<CommandSpec, 'name'>>): Command {
    const previous = this.commands.get(name.toLowerCase());
    if (!previous) throw new Error(`cannot update "${name}": no such command is registered`);
    const command = this.normalise({ ...previous, ...patch, name: previous.name }, previous);
    this.assertFree(command, previous.name);
    this.unindex(previous);
    this.commands.set(command.name, command);
    this.indexNames(command);
    this.changesSubject.next({ type: 'updated', command, previous });
    return command;
  }

  /** Remove a command. @returns false when it was not registered. */
  unregister(name: string): boolean {
    const command = this.commands.get(name.toLowerCase());
    if (!command) return false;
    this.commands.delete(command.name);
    this.unindex(command);
    this.changesSubject.next({ type: 'unregistered', command });
    return true;
  }

  /** The own name of the command a name or alias stands for (disabled ones included); undefined when none. */
  canonical(nameOrAlias: string): string | undefined {
    return this.index.get(nameOrAlias.toLowerCase());
  }

  /** A command by name or alias, with overrides applied; disabled commands are not found. */
  resolve(nameOrAlias: string): Command | undefined {
    const name = this.index.get(nameOrAlias.toLowerCase());
    if (name === undefined) return undefined;
    const override = this.overrides.get(name);
    if (override?.disabled) return undefined;
    const command = this.commands.get(name)!;
    return override?.minTier ? { ...command, minTier: override.minTier } : command;
  }

  /** Every enabled command, overrides applied, sorted by name. */
  list(): Command[] {
    return [...this.commands.keys()]
      .sort()
      .map((name) => this.resolve(name))
      .filter((c): c is Command => c !== undefined);
  }

  /** Complete the change stream; used at shutdown. */
  close(): void {
    this.changesSubject.complete();
  }

  private normalise(spec: CommandSpec, previous?: Command): Command {
    const name = spec.name.toLowerCase();
    if (!namePattern.test(name)) {
      throw new TypeError(`"${spec.name}" is not a valid command name (a letter, then letters, digits, "_" or "-")`);
    }
    // The aliases of every language resolve, whatever the caller's language.
    const localAliases = Object.values(spec.locales ?? {}).flatMap((l) => l?.aliases ?? []);
    const aliases = [...new Set([...(spec.aliases ?? []), ...localAliases].map((a) => a.toLowerCase()))].filter((a) => a !== name);
    for (const alias of aliases) {
      if (!aliasPattern.test(alias)) throw new TypeError(`"${alias}" is not a valid alias for ${name}`);
    }
    if (!['get', 'set', 'control'].includes(spec.kind)) {
      throw new TypeError(`command ${name}: kind must be get, set or control (got "${String(spec.kind)}")`);
    }
    if (!isTier(spec.minTier)) throw new TypeError(`command ${name}: minTier must be root, admin or user`);
    if (typeof spec.run !== 'function') throw new TypeError(`command ${name}: run must be a function`);
    if (spec.args !== undefined) assertArgSpecs(name, spec.args);
    if (spec.cooldownMs !== undefined && !(spec.cooldownMs >= 0)) throw new TypeError(`command ${name}: cooldownMs must be a duration`);
    if (spec.rate !== undefined && !(spec.rate.limit >= 1 && spec.rate.perMs > 0)) throw new TypeError(`command ${name}: rate needs a limit of at least 1 per a positive time`);
    const declared = spec.args ? argsArity(spec.args).min : undefined;
    const minArgs = spec.minArgs ?? declared ?? (spec.kind === 'set' ? 1 : 0);
    const fallback = spec.args ? argsUsage(spec.args) : spec.kind === 'set' ? '<value>' : '';
    const usage = spec.usage ?? (spec.args ? undefined : previous?.usage) ?? fallback;
    const audited = spec.audit ?? spec.kind !== 'get';
    const guarded = audited || spec.args !== undefined || spec.confirm === true || spec.cooldownMs !== undefined || spec.rate !== undefined;
    return { ...spec, name, aliases, usage, minArgs, audited, guarded };
  }

  private assertFree(command: Command, self: string | undefined): void {
    for (const name of [command.name, ...command.aliases]) {
      const owner = this.index.get(name);
      if (owner !== undefined && owner !== self) {
        const what = owner === name ? 'a command' : `an alias of ${owner}`;
        throw new Error(`cannot register "${command.name}": "${name}" is already ${what}`);
      }
    }
  }

  private indexNames(command: Command): void {
    this.index.set(command.name, command.name);
    for (const alias of command.aliases) this.index.set(alias, command.name);
  }

  private unindex(command: Command): void {
    this.index.delete(command.name);
    for (const alias of command.aliases) this.index.delete(alias);
  }
}
