import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.js';
import type { AdapterModule } from './AdapterModule.js';
import { interpolateEnv } from './interpolate.js';
import type { Plugin } from '../plugins/Plugin.js';
import { importPlugins, pluginSpecifiers, type ConfiguredPlugin } from './plugins.js';
import { CoreConfigSchema, type CoreConfig } from './schema.js';

/** What the loader needs to know beyond the core: adapter modules and extra top-level sections. */
export interface LoadConfigOptions {
  /** Adapter modules by which `adapters.<name>` sections are validated. */
  readonly adapters: readonly AdapterModule<never>[];
  /** Extra top-level sections (e.g. `feeds`, `routes` of the relay) and their schemas. */
  readonly sections?: Readonly<Record<string, z.ZodTypeAny>>;
  /** Variables for `${VAR}`. @defaultValue process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * The modules of the `plugins:` entries, by index, already imported ({@link loadConfig} imports
   * them), and the entries that could not be.
   */
  readonly plugins?: ReadonlyMap<number, Plugin<unknown>>;
  readonly pluginIssues?: readonly Omit<ConfigIssue, 'line'>[];
}

/** A configured adapter: its module and its validated section. */
export interface ConfiguredAdapter {
  readonly module: AdapterModule<never>;
  readonly config: unknown;
}

/** A validated configuration. */
export interface LoadedConfig {
  /** Absolute path of the file, or `<inline>`. */
  readonly file: string;
  readonly core: CoreConfig;
  readonly adapters: readonly ConfiguredAdapter[];
  /** Plugins from `plugins:`, in order, each with its validated config. */
  readonly plugins: readonly ConfiguredPlugin[];
  /** Validated extra sections, by name; absent sections are missing. */
  readonly sections: Readonly<Record<string, unknown>>;
  /** Values that came from the environment: treated as secrets, redacted from every log line. */
  readonly secrets: readonly string[];
}

/** The core's top-level keys: the schema's own, so a key added there is never refused here. */
const coreKeys = new Set(Object.keys(CoreConfigSchema.innerType().shape));

/** Read, interpolate and validate a YAML config file. @throws ConfigError naming every problem by path. */
export async function loadConfig(file: string, options: LoadConfigOptions): Promise<LoadedConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new ConfigError([{ path: '', message: `cannot read ${path}: ${reason}` }]);
  }
  return loadConfigText(text, { ...options, file: path });
}

/** Like {@link loadConfig}, for config text: imports its `plugins:` (relative to `file`'s directory), then validates. */
export async function loadConfigText(text: string, options: LoadConfigOptions & { readonly file?: string }): Promise<LoadedConfig> {
  let listed: unknown;
  try {
    listed = (parseDocument(text).toJS() as { plugins?: unknown } | null)?.plugins;
  } catch {
    // A document that does not parse is reported by parseConfig.
  }
  const baseDir = options.file ? dirname(options.file) : process.cwd();
  const { plugins, issues } = await importPlugins(pluginSpecifiers(listed), baseDir);
  return parseConfig(text, { ...options, plugins, pluginIssues: issues });
}

/** Validate config text. Relative paths in it resolve against the file's directory (or the working directory). */
export function parseConfig(text: string, options: LoadConfigOptions & { readonly file?: string }): LoadedConfig {
  const file = options.file ?? '<inline>';
  const baseDir = options.file ? dirname(options.file) : process.cwd();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({ path: '', message: e.message.split('\n')[0]!, line: lineCounter.linePos(e.pos[0]).line })),
      file,
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  const issues: ConfigIssue[] = [];
  const lineOf = (path: readonly (string | number)[]): number | undefined => findLine(doc, lineCounter, path);
  // A value whose variable is unset is reported once, for that reason, not again by the schema.
  const unset = new Set<string>();
  const add = (path: readonly (string | number)[], message: string): void => {
    if (unset.has(path.join('.'))) return;
    const line = lineOf(path);
    issues.push({ path: path.join('.'), message, ...(line !== undefined ? { line } : {}) });
  };

  if (typeof raw !== 'object' || Array.isArray(raw) || raw === null) {
    throw new ConfigError([{ path: '', message: 'the file must hold a mapping (key: value pairs)' }], file);
  }
  const secrets: string[] = [];
  const env = options.env ?? process.env;
  const value = interpolateEnv(
    raw,
    env,
    (path, message) => {
      add(path, message);
      unset.add(path.join('.'));
    },
    secrets,
  ) as Record<string, unknown>;

  const sections = options.sections ?? {};
  for (const key of Object.keys(value)) {
    if (!coreKeys.has(key) && !(key in sections)) add([key], `unknown key (expected one of ${[...coreKeys, ...Object.keys(sections)].join(', ')})`);
  }

  const core = CoreConfigSchema.safeParse(value);
  if (!core.success) for (const issue of core.error.issues) reportZodIssue(issue, [], add);

  const plugins = configuredPlugins(value, options, add, lineOf);
  const adapters: ConfiguredAdapter[] = [];
  const modules = new Map(options.adapters.map((m) => [m.name, m]));
  const rawAdapters = value.adapters;
  if (rawAdapters && typeof rawAdapters === 'object' && !Array.isArray(rawAdapters)) {
    for (const [name, section] of Object.entries(rawAdapters as Record<string, unknown>)) {
      const module = modules.get(name);
      if (!module) {
        // A plugin's adapter: its section is the plugin's config.
        if (plugins.some((p) => p.plugin.name === name)) continue;
        const known = [...modules.keys(), ...plugins.map((p) => p.plugin.name)];
        add(['adapters', name], `unknown adapter (known: ${known.join(', ') || 'none'}; a third-party adapter is listed under plugins)`);
        continue;
      }
      const parsed = module.schema.safeParse(section ?? {});
      if (parsed.success) adapters.push({ module, config: parsed.data });
      else for (const issue of parsed.error.issues) reportZodIssue(issue, ['adapters', name], add);
    }
  }

  const extra: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(sections)) {
    if (!(key in value)) continue;
    const parsed = schema.safeParse(value[key]);
    if (parsed.success) extra[key] = parsed.data;
    else for (const issue of parsed.error.issues) reportZodIssue(issue, [key], add);
  }

  if (issues.length > 0 || !core.success) throw new ConfigError(dedupe(issues).map((i) => maskIssue(i, secrets)), file);
  const data = core.data;
  return {
    file,
    core: {
      ...data,
      dataDir: resolve(baseDir, data.dataDir),
      ...(data.logFile !== undefined ? { logFile: resolve(baseDir, data.logFile) } : {}),
    },
    adapters,
    plugins,
    sections: extra,
    secrets,
  };
}

/**
 * Validate each `plugins:` entry's config with its plugin's schema: the entry's `config:`, or, for
 * an adapter plugin listed without one, its `adapters.<name>` section.
 */
function configuredPlugins(
  value: Record<string, unknown>,
  options: LoadConfigOptions,
  add: (path: readonly (string | number)[], message: string) => void,
  lineOf: (path: readonly (string | number)[]) => number | undefined,
): ConfiguredPlugin[] {
  const entries = value.plugins;
  if (!Array.isArray(entries)) return [];
  const failed = new Set((options.pluginIssues ?? []).map((i) => i.path));
  for (const issue of options.pluginIssues ?? []) add(issue.path.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k)), issue.message);
  const sections = (value.adapters ?? {}) as Record<string, unknown>;
  const out: ConfiguredPlugin[] = [];
  const names = new Map<string, number>();
  entries.forEach((entry: unknown, index) => {
    const plugin = options.plugins?.get(index);
    if (!plugin) {
      const wellFormed = typeof entry === 'string' || (typeof entry === 'object' && entry !== null && 'use' in entry);
      if (wellFormed && !failed.has(`plugins.${index}`)) add(['plugins', index], 'plugins are imported by loadConfig or loadConfigText, not parseConfig');
      return;
    }
    const earlier = names.get(plugin.name);
    if (earlier !== undefined) add(['plugins', index], `a second plugin named "${plugin.name}" (also plugins.${earlier})`);
    names.set(plugin.name, index);
    const use = typeof entry === 'string' ? entry : (entry as { use: string }).use;
    const own = typeof entry === 'object' && entry !== null && 'config' in entry;
    const [path, raw]: [(string | number)[], unknown] = own
      ? [['plugins', index, 'config'], (entry as { config: unknown }).config]
      : plugin.name in sections
        ? [['adapters', plugin.name], sections[plugin.name]]
        : [['plugins', index], undefined];
    let config = raw;
    if (plugin.config) {
      const parsed = plugin.config.safeParse(raw ?? {});
      if (!parsed.success) {
        for (const issue of parsed.error.issues) reportZodIssue(issue, path, add);
        return;
      }
      config = parsed.data;
    }
    const line = lineOf(['plugins', index]);
    out.push({ plugin, config, use, path: `plugins.${index}`, ...(line !== undefined ? { line } : {}) });
  });
  return out;
}

function reportZodIssue(
  issue: z.ZodIssue,
  prefix: readonly (string | number)[],
  add: (path: readonly (string | number)[], message: string) => void,
): void {
  const path = [...prefix, ...issue.path];
  switch (issue.code) {
    case 'invalid_type':
      add(path, issue.received === 'undefined' ? 'required' : `expected ${issue.expected}, got ${issue.received}`);
      return;
    case 'unrecognized_keys':
      for (const key of issue.keys) add([...path, key], 'unknown key');
      return;
    case 'invalid_union_discriminator':
      add(path, `must be one of ${issue.options.map(String).join(', ')}`);
      return;
    case 'invalid_enum_value':
      add(path, `must be one of ${issue.options.join(', ')} (got ${JSON.stringify(issue.received)})`);
      return;
    case 'invalid_union': {
      // Report the branch that got furthest instead of zod's generic "Invalid input".
      const best = issue.unionErrors
        .map((e) => e.issues)
        .sort((a, b) => Math.max(...b.map((i) => i.path.length)) - Math.max(...a.map((i) => i.path.length)))[0];
      const first = best?.find((i) => !(i.code === 'invalid_type' && i.path.length === 0)) ?? best?.[0];
      if (first) return reportZodIssue(first, prefix, add);
      add(path, 'invalid value');
      return;
    }
    case 'too_small':
      add(path, issue.type === 'string' && issue.minimum === 1 ? 'must not be empty' : issue.message.toLowerCase());
      return;
    default:
      add(path, issue.message.charAt(0).toLowerCase() + issue.message.slice(1));
  }
}

function findLine(doc: Document, counter: LineCounter, path: readonly (string | number)[]): number | undefined {
  // Walk down as far as the document goes: a missing key is reported at its parent.
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (node && typeof node === 'object' && 'range' in node && Array.isArray(node.range)) {
      // For a mapping or sequence, point at its first line rather than wherever its range starts.
      const offset = (isMap(node) || isSeq(node)) && depth > 0 ? findKeyOffset(doc, path.slice(0, depth)) ?? node.range[0] : node.range[0];
      return counter.linePos(offset as number).line;
    }
  }
  return undefined;
}

function findKeyOffset(doc: Document, path: readonly (string | number)[]): number | undefined {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const key = path[path.length - 1];
  const pair = parent.items.find((item) => (item.key as { value?: unknown } | null)?.value === key);
  const range = (pair?.key as { range?: [number, number, number] } | null)?.range;
  return range?.[0];
}

/** Errors may quote a value; a value that came from the environment is a secret and is masked. */
function maskIssue(issue: ConfigIssue, secrets: readonly string[]): ConfigIssue {
  let message = issue.message;
  for (const secret of secrets) if (secret.length > 0) message = message.split(secret).join('[redacted]');
  return message === issue.message ? issue : { ...issue, message };
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
