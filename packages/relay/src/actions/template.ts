/**
 * Templates of actions: `{{name}}` stands for a declared argument or one of the documented fields
 * (`caller`, `chat`, `now`). Rendering is one pass over the template: an inserted value is never
 * read as a template again, so a value holding `{{` stays text. Each place a value lands has its own
 * encoding: JSON in bodies and frames, percent-encoding in URLs, one whole argv entry in `exec`.
 */

/** The fields every template may use besides the declared arguments. */
export const TemplateFields = ['caller', 'chat', 'now'] as const;

/** Values a template is rendered with: the declared arguments and {@link TemplateFields}. */
export type TemplateVars = Readonly<Record<string, string | number>>;

const Placeholder = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const Whole = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;

/** Every name a template (a string, or strings anywhere inside objects and arrays) refers to. */
export function templateNames(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string') for (const match of value.matchAll(Placeholder)) into.add(match[1]!);
  else if (Array.isArray(value)) for (const item of value) templateNames(item, into);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) templateNames(item, into);
  return into;
}

/** The names in `value` that are neither declared nor documented fields, for `switchboard check`. */
export function undeclaredNames(value: unknown, declared: readonly string[]): string[] {
  const known = new Set<string>([...declared, ...TemplateFields]);
  return [...templateNames(value)].filter((name) => !known.has(name));
}

/** A value that may not be placed where it was going, with the reason. */
export class TemplateValueError extends Error {
  override name = 'TemplateValueError';
}

function lookup(vars: TemplateVars, name: string): string | number {
  const value = vars[name];
  // `check` refuses undeclared names; an optional argument left out renders empty.
  return value === undefined ? '' : value;
}

/** Render a string, each inserted value passed through `encode` (as text). */
export function renderText(template: string, vars: TemplateVars, encode: (value: string, name: string) => string = (v) => v): string {
  return template.replace(Placeholder, (_, name: string) => encode(String(lookup(vars, name)), name));
}

/**
 * Render a JSON value (a body, a frame, service data): a string that is exactly one placeholder
 * becomes the value itself (a number stays a number); elsewhere values are inserted as text. The
 * result is data: serialising it with JSON.stringify escapes whatever the values hold.
 */
export function renderJson(value: unknown, vars: TemplateVars): unknown {
  if (typeof value === 'string') {
    const whole = Whole.exec(value);
    return whole ? lookup(vars, whole[1]!) : renderText(value, vars);
  }
  if (Array.isArray(value)) return value.map((item) => renderJson(item, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renderJson(item, vars)]));
  return value;
}

/**
 * Render a URL: values are percent-encoded (`/`, `?`, `#`, `&` cannot change its shape), and a
 * value of `.` or `..`, which URLs read as a path step even encoded, is refused.
 */
export function renderUrl(template: string, vars: TemplateVars): URL {
  const text = renderText(template, vars, (value, name) => {
    if (value === '.' || value === '..') throw new TemplateValueError(`${name} cannot be "${value}" in a URL`);
    return encodeURIComponent(value);
  });
  return new URL(text);
}

/** Render an MQTT topic: a value may not add levels or wildcards (`/`, `+`, `#`). */
export function renderTopic(template: string, vars: TemplateVars): string {
  return renderText(template, vars, (value, name) => {
    if (value === '' || /[/+#]/.test(value) || value.includes(String.fromCharCode(0))) throw new TemplateValueError(`${name} cannot hold "/", "+" or "#" or be empty in an MQTT topic`);
    return value;
  });
}

/**
 * Render one argv entry. The value stays inside this one entry whatever it holds (no shell ever
 * reads it); a value that would start the entry with `-` is refused, so it cannot pass as an option.
 */
export function renderArg(template: string, vars: TemplateVars): string {
  return template.replace(Placeholder, (_, name: string, offset: number) => {
    const value = String(lookup(vars, name));
    if (offset === 0 && value.startsWith('-') && typeof vars[name] !== 'number') throw new TemplateValueError(`${name} cannot start with "-" where it would be read as an option`);
    return value;
  });
}
