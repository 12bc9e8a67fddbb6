import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { reportZodIssue } from './zodIssues.js';
import { notAPlugin, type Plugin } from '../plugins/Context.js';
import type { StoreModule } from '../store/StoreModule.js';

/** A `plugins:` entry as written: where the module is, and its index in the list. */
export interface PluginSpecifier {
  readonly index: number;
  readonly use: string;
}

/** A plugin loaded from the config, its validated config, and where it was listed. */
export interface ConfiguredPlugin {
  readonly plugin: Plugin<unknown>;
  readonly config: unknown;
  /** The specifier as written (`./plugins/echo.js`, `switchboard-plugin-x`). */
  readonly use: string;
  /** Where it is listed, e.g. `plugins.2`. */
  readonly path: string;
  readonly line?: number;
}

/** The specifiers of a raw `plugins:` value; malformed entries are left to the schema to report. */
export function pluginSpecifiers(value: unknown): PluginSpecifier[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown, index) => {
    if (typeof entry === 'string' && entry.length > 0) return [{ index, use: entry }];
    const use = (entry as { use?: unknown } | null)?.use;
    return typeof use === 'string' && use.length > 0 ? [{ index, use }] : [];
  });
}

/** A plugin that could not be imported, at its path in the file (`plugins.2`, `adapters.qq`). */
export interface ImportIssue {
  readonly at: readonly (string | number)[];
  readonly message: string;
}

/**
 * Import every listed plugin module and take its default export. A path (`./x.js`, `/abs/x.js`)
 * is relative to the config file's directory; a package name is looked up from there first, then
 * from Switchboard's own installation.
 * @returns the plugins by entry index, and an issue for each that could not be loaded.
 */
export async function importPlugins(
  specifiers: readonly PluginSpecifier[],
  baseDir: string,
): Promise<{ plugins: Map<number, Plugin<unknown>>; issues: ImportIssue[] }> {
  const plugins = new Map<number, Plugin<unknown>>();
  const issues: ImportIssue[] = [];
  for (const { index, use } of specifiers) {
    try {
      plugins.set(index, await importPlugin(use, baseDir));
    } catch (error) {
      issues.push({ at: ['plugins', index], message: (error as Error).message });
    }
  }
  return { plugins, issues };
}

/** The plugin a module default-exports. @throws Error saying why there is none, naming `use`. */
async function importPlugin(use: string, baseDir: string): Promise<Plugin<unknown>> {
  const module = await importModule(use, baseDir);
  if (module.default === undefined) throw new Error(`"${use}" has no default export; a plugin module exports { name, apply } as default`);
  const why = notAPlugin(module.default);
  if (why) throw new Error(`the default export of "${use}" is not a plugin: ${why}`);
  return module.default as Plugin<unknown>;
}

/** Import a module the config names. @throws Error "cannot load …" naming it and why. */
async function importModule(use: string, baseDir: string): Promise<{ default?: unknown }> {
  try {
    return (await import(locate(use, baseDir))) as { default?: unknown };
  } catch (error) {
    throw new Error(`cannot load "${use}": ${loadFailure(error)}`);
  }
}

/** What to pass to `import()` for a specifier. */
function locate(use: string, baseDir: string): string {
  if (use.startsWith('file:')) return use;
  if (use.startsWith('.') || isAbsolute(use)) {
    const file = resolve(baseDir, use);
    if (!existsSync(file)) throw Object.assign(new Error(`no such file ${file}`), { code: 'ERR_MODULE_NOT_FOUND' });
    return pathToFileURL(file).href;
  }
  try {
    // Packages installed beside the config file (a project of the user's own).
    return pathToFileURL(createRequire(join(baseDir, 'switchboard.config')).resolve(use)).href;
  } catch {
    // ESM-only exports, or installed beside Switchboard itself: let Node resolve it from here.
    return use;
  }
}

function loadFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' ? `module not found: ${message}` : message;
}

/**
 * Built-in plugins that live in packages of their own, by what in the file asks for them: an
 * `adapters.<name>` key, or a top-level section. They are imported only when the file uses them,
 * resolved like any plugin from the config file's directory first, then beside Switchboard.
 */
export const BuiltinPlugins = {
  adapters: { qq: '@switchboard/adapter-qq', wechat: '@switchboard/adapter-wechat' } as Readonly<Record<string, string>>,
  sections: {
    feeds: '@switchboard/relay',
    routes: '@switchboard/relay',
    relay: '@switchboard/relay',
    actions: '@switchboard/relay',
    http: '@switchboard/ops',
  } as Readonly<Record<string, string>>,
  /** Store modules, by `store.type`. */
  stores: { redis: '@switchboard/store-redis' } as Readonly<Record<string, string>>,
};

/** The store module a raw `store:` section asks for, imported; undefined for the file store or an unknown type (reported by parseConfig). */
export async function importStore(raw: Record<string, unknown>, baseDir: string): Promise<{ store?: StoreModule<unknown>; issue?: ImportIssue }> {
  const type = (raw.store as { type?: unknown } | null | undefined)?.type;
  if (typeof type !== 'string' || type === 'file') return {};
  const specifier = BuiltinPlugins.stores[type];
  if (!specifier) return {};
  let module: { default?: unknown };
  try {
    module = await importModule(specifier, baseDir);
  } catch (error) {
    return { issue: { at: ['store', 'type'], message: `needs ${specifier}: ${(error as Error).message}; install it with "npm install ${specifier}"` } };
  }
  const store = module.default as StoreModule<unknown> | undefined;
  if (!store || typeof store.create !== 'function' || store.type !== type) return { issue: { at: ['store', 'type'], message: `${specifier} does not default-export a store module of type "${type}"` } };
  return { store };
}

/** Import the built-in plugins the raw config uses and `known` does not already provide. */
export async function importBuiltins(
  raw: Record<string, unknown>,
  known: readonly Plugin<unknown>[],
  baseDir = process.cwd(),
): Promise<{ plugins: Plugin<unknown>[]; issues: ImportIssue[] }> {
  const wanted = new Map<string, readonly string[]>();
  const adapters = raw.adapters && typeof raw.adapters === 'object' ? Object.keys(raw.adapters) : [];
  for (const name of adapters) {
    const module = BuiltinPlugins.adapters[name];
    if (module && !known.some((p) => p.name === name)) wanted.set(module, ['adapters', name]);
  }
  for (const key of Object.keys(raw)) {
    const module = BuiltinPlugins.sections[key];
    if (module && !known.some((p) => p.sections?.includes(key)) && !wanted.has(module)) wanted.set(module, [key]);
  }
  const plugins: Plugin<unknown>[] = [];
  const issues: ImportIssue[] = [];
  for (const [module, at] of wanted) {
    try {
      plugins.push(await importPlugin(module, baseDir));
    } catch (error) {
      issues.push({ at, message: `needs ${module}: ${(error as Error).message}; install it with "npm install ${module}"` });
    }
  }
  return { plugins, issues };
}

type Add = (path: readonly (string | number)[], message: string) => void;

/**
 * Every plugin the file asks for, with its config validated by the plugin's schema and reported by
 * YAML path, in the order they are applied: adapters from their `adapters.<name>` section,
 * `plugins:` entries from their `config:` (or the adapters section of their name), then plugins of
 * top-level sections (the relay) from those keys.
 */
export function configurePlugins(
  value: Record<string, unknown>,
  known: {
    readonly available: readonly Plugin<unknown>[];
    readonly listed: ReadonlyMap<number, Plugin<unknown>> | undefined;
    readonly importIssues: readonly ImportIssue[];
  },
  add: Add,
  lineOf: (path: readonly (string | number)[]) => number | undefined,
): ConfiguredPlugin[] {
  const failed = new Set(known.importIssues.map((i) => i.at.join('.')));
  for (const issue of known.importIssues) add(issue.at, issue.message);
  const entries = Array.isArray(value.plugins) ? (value.plugins as unknown[]) : [];
  const listed = entries.flatMap((entry, index) => {
    const plugin = known.listed?.get(index);
    if (plugin) return [{ plugin, entry, index }];
    const wellFormed = typeof entry === 'string' || (typeof entry === 'object' && entry !== null && 'use' in entry);
    if (wellFormed && !failed.has(`plugins.${index}`)) add(['plugins', index], 'plugins are imported by loadConfig or loadConfigText, not parseConfig');
    return [];
  });
  const sections = value.adapters && typeof value.adapters === 'object' ? (value.adapters as Record<string, unknown>) : {};
  const out: ConfiguredPlugin[] = [];
  const configure = (plugin: Plugin<unknown>, raw: unknown, path: (string | number)[], use: string, at: (string | number)[]): void => {
    let config = raw;
    if (plugin.config) {
      const parsed = plugin.config.safeParse(raw ?? {});
      if (!parsed.success) {
        for (const issue of parsed.error.issues) reportZodIssue(issue, path, add);
        return;
      }
      config = parsed.data;
    }
    const line = lineOf(at);
    out.push({ plugin, config, use, path: at.join('.'), ...(line !== undefined ? { line } : {}) });
  };

  for (const name of Object.keys(sections)) {
    if (listed.some((l) => l.plugin.name === name)) continue;
    const plugin = known.available.find((p) => p.name === name && !p.sections);
    if (plugin) configure(plugin, sections[name], ['adapters', name], `adapters.${name}`, ['adapters', name]);
    else if (BuiltinPlugins.adapters[name] && !failed.has(`adapters.${name}`)) {
      add(['adapters', name], `needs ${BuiltinPlugins.adapters[name]}: loadConfig imports it; parseConfig takes it in options.plugins`);
    } else if (!failed.has(`adapters.${name}`)) {
      const names = [...known.available.filter((p) => !p.sections).map((p) => p.name), ...Object.keys(BuiltinPlugins.adapters)];
      add(['adapters', name], `unknown adapter (known: ${[...new Set(names)].join(', ')}; a third-party adapter is listed under plugins)`);
    }
  }
  const names = new Map<string, number>();
  for (const { plugin, entry, index } of listed) {
    const earlier = names.get(plugin.name);
    if (earlier !== undefined) add(['plugins', index], `a second plugin named "${plugin.name}" (also plugins.${earlier})`);
    names.set(plugin.name, index);
    const use = typeof entry === 'string' ? entry : (entry as { use: string }).use;
    if (typeof entry === 'object' && entry !== null && 'config' in entry) {
      configure(plugin, (entry as { config: unknown }).config, ['plugins', index, 'config'], use, ['plugins', index]);
    } else if (plugin.name in sections) {
      configure(plugin, sections[plugin.name], ['adapters', plugin.name], use, ['plugins', index]);
    } else {
      configure(plugin, undefined, ['plugins', index], use, ['plugins', index]);
    }
  }
  // Last: their plugins may use feed types (and the like) that listed plugins add.
  for (const plugin of known.available) {
    const keys = (plugin.sections ?? []).filter((k) => k in value);
    if (keys.length === 0) continue;
    configure(plugin, Object.fromEntries(keys.map((k) => [k, value[k]])), [], plugin.name, [keys[0]!]);
  }
  return out;
}
