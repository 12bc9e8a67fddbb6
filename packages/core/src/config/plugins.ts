import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ConfigIssue } from '../errors.js';
import { notAPlugin, type Plugin } from '../plugins/Plugin.js';

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

/**
 * Import every listed plugin module and take its default export. A path (`./x.js`, `/abs/x.js`)
 * is relative to the config file's directory; a package name is looked up from there first, then
 * from Switchboard's own installation.
 * @returns the plugins by entry index, and an issue for each that could not be loaded.
 */
export async function importPlugins(
  specifiers: readonly PluginSpecifier[],
  baseDir: string,
): Promise<{ plugins: Map<number, Plugin<unknown>>; issues: Omit<ConfigIssue, 'line'>[] }> {
  const plugins = new Map<number, Plugin<unknown>>();
  const issues: Omit<ConfigIssue, 'line'>[] = [];
  for (const { index, use } of specifiers) {
    const path = `plugins.${index}`;
    let module: { default?: unknown };
    try {
      module = (await import(locate(use, baseDir))) as { default?: unknown };
    } catch (error) {
      issues.push({ path, message: `cannot load "${use}": ${loadFailure(error)}` });
      continue;
    }
    if (!('default' in module) || module.default === undefined) {
      issues.push({ path, message: `"${use}" has no default export; a plugin module exports { name, apply } as default` });
      continue;
    }
    const why = notAPlugin(module.default);
    if (why) {
      issues.push({ path, message: `the default export of "${use}" is not a plugin: ${why}` });
      continue;
    }
    plugins.set(index, module.default as Plugin<unknown>);
  }
  return { plugins, issues };
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
