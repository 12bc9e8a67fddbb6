/**
 * Read a value at a path in parsed JSON: `a.b.c`, `items[0].name`, `data["entity id"]`.
 * An empty path returns the value itself. Missing steps give `undefined`.
 */
export function getPath(value: unknown, path: string): unknown {
  if (path === '' || path === '.') return value;
  let current: unknown = value;
  for (const step of splitPath(path)) {
    if (current === null || current === undefined) return undefined;
    if (typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[step];
  }
  return current;
}

const cache = new Map<string, string[]>();

function splitPath(path: string): string[] {
  let steps = cache.get(path);
  if (steps) return steps;
  steps = [];
  const pattern = /([^.[\]]+)|\[(\d+)\]|\["([^"]*)"\]|\['([^']*)'\]/g;
  for (const match of path.matchAll(pattern)) steps.push(match[1] ?? match[2] ?? match[3] ?? match[4] ?? '');
  cache.set(path, steps);
  return steps;
}

/**
 * Text a person can read for a value from a feed (an annotation, a summary): strings as they are,
 * numbers and booleans printed, lists joined with commas, objects as `key: value` pairs, nested
 * values in parentheses, three levels deep at most. Never `[object Object]`.
 */
export function readableText(value: unknown, depth = 0): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (depth >= 3) return '…';
  const nested = (v: unknown): string => {
    const text = readableText(v, depth + 1) ?? '';
    return v !== null && typeof v === 'object' ? `(${text})` : text;
  };
  if (Array.isArray(value)) return value.map(nested).join(', ');
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `${k}: ${nested(v)}`)
      .join(', ');
  }
  return undefined;
}

/** What kind of JSON value this is, for a reason that names it. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  return typeof value === 'object' ? 'object' : typeof value;
}

/** Text for a value read from a frame: strings as they are, numbers and booleans printed, others JSON. */
export function asText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/**
 * Render `{{name}}` placeholders from `fields`; unknown names render empty. `{{ name }}` with spaces
 * works too. No logic, no escaping: chat text is plain text.
 */
export function renderTemplate(template: string, fields: Readonly<Record<string, unknown>>): string {
  return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, name: string) => asText(getPath(fields, name)) ?? '');
}

/** Shell-style glob (`*`, `?`) matched against the whole string. */
export function globMatch(pattern: string, text: string): boolean {
  return globRegExp(pattern).test(text);
}

const globs = new Map<string, RegExp>();

function globRegExp(pattern: string): RegExp {
  let re = globs.get(pattern);
  if (!re) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, 'i');
    globs.set(pattern, re);
  }
  return re;
}

/** Parse a timestamp from a feed: epoch seconds or milliseconds, or an ISO string. */
export function toEpochMs(value: unknown, fallback: number): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e12 ? value * 1000 : value;
  if (typeof value === 'string' && value !== '') {
    const n = Number(value);
    if (Number.isFinite(n)) return n < 1e12 ? n * 1000 : n;
    const t = Date.parse(value);
    if (Number.isFinite(t)) return t;
  }
  return fallback;
}
