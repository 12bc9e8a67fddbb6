import type { z } from 'zod';
import type { Context } from './Context.js';

/**
 * A plugin: what a module default-exports to extend Switchboard. `config`, when given, validates
 * the YAML the plugin is listed with; `apply` receives the validated value and registers what the
 * plugin brings (commands, middleware, adapters, feed types…) through `ctx`. Everything registered
 * through `ctx` is undone when the plugin stops.
 */
export interface Plugin<Config = unknown> {
  readonly name: string;
  readonly config?: z.ZodType<Config, z.ZodTypeDef, unknown>;
  apply(ctx: Context, config: Config): void | Promise<void>;
  /**
   * Top-level keys of the config file that together are this plugin's config (the relay's
   * `feeds`, `routes` and `relay`). Without it, the config is the `plugins:` entry's `config:`,
   * or, for a plugin named like an `adapters:` key, that section.
   */
  readonly sections?: readonly string[];
  /** One line for `switchboard check`, with no secret in it. */
  describe?(config: Config): string;
}

/** A plugin and the configuration it is applied with. */
export interface PluginUse<Config = unknown> {
  readonly plugin: Plugin<Config>;
  readonly config?: unknown;
}

/** Identity helper that keeps a plugin's config type. A plain object works just as well. */
export function definePlugin<Config = undefined>(plugin: Plugin<Config>): Plugin<Config> {
  return plugin;
}

/** Why a value is not a plugin, or undefined when it is one. */
export function notAPlugin(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return `expected an object { name, apply }, got ${value === null ? 'null' : typeof value}`;
  const p = value as Partial<Record<keyof Plugin, unknown>>;
  if (typeof p.name !== 'string' || p.name.length === 0) return 'its "name" must be a non-empty string';
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(p.name)) return `its name "${p.name}" may hold only letters, digits, "_" and "-" (40 at most)`;
  if (typeof p.apply !== 'function') return 'its "apply" must be a function (ctx, config) => void';
  if (p.config !== undefined && typeof (p.config as { safeParse?: unknown }).safeParse !== 'function') {
    return 'its "config" must be a zod schema';
  }
  return undefined;
}
