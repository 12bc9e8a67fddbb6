import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { consolePlugin } from '../console/consoleModule.js';
import type { Plugin } from '../plugins/Context.js';
import { interpolateEnv } from './interpolate.js';
import { BuiltinPlugins, configurePlugins, importBuiltins, importPlugins, importStore, pluginSpecifiers, type ConfiguredPlugin, type ImportIssue } from './plugins.js';
import type { ConfiguredStore, StoreModule } from '../store/StoreModule.js';
import { reportZodIssue } from './zodIssues.js';
import { CoreConfigSchema, type CoreConfig } from './schema.js';

/** What the loader needs beyond the file. */
export interface LoadConfigOptions {
  /**
   * Plugins that `adapters.<name>` keys and top-level sections may name, beyond the console
   * (built in). {@link loadConfig} imports the other built-ins (qq, wechat, the relay) when the
   * file uses them; {@link parseConfig} knows only these.
   */
  readonly plugins?: readonly Plugin<unknown>[];
  /** Variables for `${VAR}`. @defaultValue process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The modules of the `plugins:` entries, by index, already imported ({@link loadConfig} does it). */
  readonly listed?: ReadonlyMap<number, Plugin<unknown>>;
  /** Problems found while importing: entries that could not be loaded, built-ins not installed. */
  readonly importIssues?: readonly ImportIssue[];
  /** Store modules `store.type` may name beyond `file` ({@link loadConfig} imports the one the file names). */
  readonly stores?: readonly StoreModule<unknown>[];
}

/** A validated configuration. */
export interface LoadedConfig {
  /** Absolute path of the file, or `<inline>`. */
  readonly file: string;
  readonly core: CoreConfig;
  /**
   * Every plugin the file asks for, each with its validated config, in the order they are applied:
   * adapters (`adapters:` order), `plugins:`, then plugins of top-level sections (the relay, so
   * that feed types the listed plugins add are there when it starts).
   */
  readonly plugins: readonly ConfiguredPlugin[];
  /** The store the file picks with `store:`, validated; undefined for the file store (the default). */
  readonly store?: ConfiguredStore;
  /** Values that came from the environment: treated as secrets, redacted from every log line. */
  readonly secrets: readonly string[];
}

/** The core's top-level keys: the schema's own, so a key added there is never refused here. */
const coreKeys = new Set(Object.keys(CoreConfigSchema.innerType().shape));

/** Read, interpolate and validate a YAML config file. @throws ConfigError naming every problem by path. */
export async function loadConfig(file: string, options: LoadConfigOptions = {}): Promise<LoadedConfig> {
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
export async function loadConfigText(text: string, options: LoadConfigOptions & { readonly file?: string } = {}): Promise<LoadedConfig> {
  let raw: Record<string, unknown> = {};
  try {
    const value: unknown = parseDocument(text).toJS();
    if (value && typeof value === 'object' && !Array.isArray(value)) raw = value as Record<string, unknown>;
  } catch {
    // A document that does not parse is reported by parseConfig.
  }
  const baseDir = options.file ? dirname(options.file) : process.cwd();
  const { plugins: listed, issues } = await importPlugins(pluginSpecifiers(raw.plugins), baseDir);
  const known = [consolePlugin, ...(options.plugins ?? []), ...listed.values()];
  const builtins = await importBuiltins(raw, known, baseDir);
  const store = options.stores?.some((s) => s.type === (raw.store as { type?: unknown } | undefined)?.type) ? {} : await importStore(raw, baseDir);
  return parseConfig(text, {
    ...options,
    plugins: [...(options.plugins ?? []), ...builtins.plugins],
    stores: [...(options.stores ?? []), ...(store.store ? [store.store] : [])],
    listed,
    importIssues: [...issues, ...builtins.issues, ...(store.issue ? [store.issue] : [])],
  });
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

  const available = [consolePlugin, ...(options.plugins ?? [])];
  const sectionKeys = available.flatMap((p) => p.sections ?? []);
  for (const key of Object.keys(value)) {
    if (!coreKeys.has(key) && !sectionKeys.includes(key)) add([key], `unknown key (expected one of ${[...coreKeys, ...sectionKeys].join(', ')})`);
  }

  const core = CoreConfigSchema.safeParse(value);
  if (!core.success) for (const issue of core.error.issues) reportZodIssue(issue, [], add);

  const plugins = configurePlugins(value, { available, listed: options.listed, importIssues: options.importIssues ?? [] }, add, lineOf);
  const store = core.success ? configureStore(value.store, options, add) : undefined;

  if (issues.length > 0 || !core.success) throw new ConfigError(dedupe(issues).map((i) => maskIssue(i, secrets)), file);
  const data = core.data;
  return {
    file,
    core: {
      ...data,
      dataDir: resolve(baseDir, data.dataDir),
      ...(data.logFile !== undefined ? { logFile: resolve(baseDir, data.logFile) } : {}),
    },
    plugins,
    ...(store ? { store } : {}),
    secrets,
  };
}

/** The `store:` section: `{ type: file }` takes nothing else; another type is validated by its module. */
function configureStore(raw: unknown, options: LoadConfigOptions, add: (path: readonly (string | number)[], message: string) => void): ConfiguredStore | undefined {
  const section = (raw ?? { type: 'file' }) as { type: string } & Record<string, unknown>;
  if (section.type === 'file') {
    for (const key of Object.keys(section)) if (key !== 'type') add(['store', key], 'unknown key (the file store takes only type; its directory is dataDir)');
    return undefined;
  }
  const module = options.stores?.find((s) => s.type === section.type);
  if (!module) {
    if (!(options.importIssues ?? []).some((i) => i.at.join('.') === 'store.type')) {
      const known = ['file', ...new Set([...Object.keys(BuiltinPlugins.stores), ...(options.stores ?? []).map((s) => s.type)])];
      add(['store', 'type'], `unknown store "${section.type}" (known: ${known.join(', ')})`);
    }
    return undefined;
  }
  const parsed = module.config.safeParse(section);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) reportZodIssue(issue, ['store'], add);
    return undefined;
  }
  return { module, config: parsed.data };
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
