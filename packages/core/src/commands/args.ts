/**
 * Declared arguments of a command: what each one may hold, checked before anything runs. A command
 * with `args` gets each value by name in `ctx.values`, already converted (numbers are numbers), and
 * its callers get the usage line and the reason when a value does not fit.
 */
export interface ArgSpec {
  /** Lower-case: a letter, then letters, digits or `_`. Templates refer to it as `{{name}}`. */
  readonly name: string;
  /** The value must be one of these (compared case-insensitively; the declared spelling is kept). */
  readonly enum?: readonly string[];
  /** The whole value must match this regular expression (it is anchored for you). */
  readonly pattern?: string;
  /** `number` and `integer` are converted; other text is refused. @defaultValue 'string' */
  readonly type?: 'string' | 'number' | 'integer';
  /** Least and greatest value of a number. */
  readonly min?: number;
  readonly max?: number;
  /** May be left out (only after the required ones). @defaultValue false */
  readonly optional?: boolean;
  /** Takes every word left, joined by single spaces (the last argument only). @defaultValue false */
  readonly rest?: boolean;
  /** Masked in the audit log. @defaultValue false */
  readonly secret?: boolean;
  /** Longest value, in characters. @defaultValue 200 */
  readonly maxLength?: number;
}

import type { Message } from '../i18n/Catalog.js';

/** Validated argument values by name. */
export type ArgValues = Readonly<Record<string, string | number>>;

const ArgName = /^[a-z][a-z0-9_]{0,31}$/;
const Decimal = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)$/;
const Whole = /^[+-]?\d+$/;

/**
 * Check declared arguments when a command is registered.
 * @throws TypeError naming the command and the argument that is malformed.
 */
export function assertArgSpecs(command: string, specs: readonly ArgSpec[]): void {
  const seen = new Set<string>();
  specs.forEach((spec, i) => {
    const at = `command ${command}: argument ${i + 1}`;
    if (typeof spec.name !== 'string' || !ArgName.test(spec.name)) throw new TypeError(`${at}: name "${String(spec.name)}" must be a lower-case word (a letter, then letters, digits or "_")`);
    if (seen.has(spec.name)) throw new TypeError(`${at}: a second argument named "${spec.name}"`);
    seen.add(spec.name);
    if (spec.enum !== undefined && (spec.enum.length === 0 || spec.enum.some((v) => typeof v !== 'string' || v === ''))) {
      throw new TypeError(`${at} (${spec.name}): enum must list at least one non-empty word`);
    }
    if (spec.pattern !== undefined) {
      try {
        new RegExp(spec.pattern, 'u');
      } catch (error) {
        throw new TypeError(`${at} (${spec.name}): pattern does not compile: ${(error as Error).message}`);
      }
    }
    const numeric = spec.type === 'number' || spec.type === 'integer';
    if ((spec.min !== undefined || spec.max !== undefined) && !numeric) throw new TypeError(`${at} (${spec.name}): min and max need type number or integer`);
    if (spec.min !== undefined && spec.max !== undefined && spec.min > spec.max) throw new TypeError(`${at} (${spec.name}): min ${spec.min} is above max ${spec.max}`);
    if (spec.rest && i !== specs.length - 1) throw new TypeError(`${at} (${spec.name}): only the last argument may take the rest`);
    if (!spec.optional && specs.slice(0, i).some((s) => s.optional)) throw new TypeError(`${at} (${spec.name}): a required argument cannot follow an optional one`);
  });
}

/** The synopsis of declared arguments: `<state:on|off> <value:5..30> [note…]`. */
export function argsUsage(specs: readonly ArgSpec[]): string {
  return specs
    .map((spec) => {
      let shape = spec.name;
      if (spec.enum) shape += `:${spec.enum.join('|')}`;
      else if (spec.type === 'number' || spec.type === 'integer') {
        const range = spec.min !== undefined || spec.max !== undefined ? `${spec.min ?? ''}..${spec.max ?? ''}` : spec.type;
        shape += `:${range}`;
      }
      if (spec.rest) shape += '…';
      return spec.optional ? `[${shape}]` : `<${shape}>`;
    })
    .join(' ');
}

/** Fewest and most words the declared arguments take. */
export function argsArity(specs: readonly ArgSpec[]): { min: number; max: number } {
  const min = specs.filter((s) => !s.optional).length;
  return { min, max: specs.some((s) => s.rest) ? Infinity : specs.length };
}

/**
 * Check what was typed against the declared arguments.
 * @returns the values by name, or the reason they are refused (naming the argument and the rule).
 */
export function checkArgs(specs: readonly ArgSpec[], words: readonly string[]): { values: ArgValues } | { reason: Message } {
  const { min, max } = argsArity(specs);
  if (words.length < min) {
    const missing = specs.slice(words.length).filter((s) => !s.optional).map((s) => s.name);
    return refused('args.missing', { names: missing.join(', ') });
  }
  if (words.length > max) return max === 0 ? refused('args.none', { got: words.length }) : refused('args.tooMany', { max, got: words.length });
  const values: Record<string, string | number> = {};
  for (let i = 0; i < specs.length && i < words.length; i++) {
    const spec = specs[i]!;
    const text = spec.rest ? words.slice(i).join(' ') : words[i]!;
    const checked = checkValue(spec, text);
    if (typeof checked === 'object') return checked;
    values[spec.name] = checked;
  }
  return { values };
}

function checkValue(spec: ArgSpec, text: string): string | number | { reason: Message } {
  const value = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
  const { name } = spec;
  const maxLength = spec.maxLength ?? 200;
  if (text.length > maxLength) return refused('args.tooLong', { name, length: text.length, max: maxLength });
  // Words never hold whitespace; control and format characters are refused outright.
  if (/[\p{Cc}\p{Cf}]/u.test(text)) return refused('args.control', { name });
  if (spec.enum) {
    const match = spec.enum.find((v) => v.toLowerCase() === text.toLowerCase());
    if (match === undefined) return refused('args.enum', { name, choices: spec.enum.join(', '), value });
    return match;
  }
  if (spec.type === 'number' || spec.type === 'integer') {
    const integer = spec.type === 'integer';
    if (!(integer ? Whole : Decimal).test(text)) return refused(integer ? 'args.integer' : 'args.number', { name, value });
    const number = Number(text);
    if (!Number.isFinite(number) || (integer && !Number.isSafeInteger(number))) return refused('args.outOfRange', { name, value });
    const { min, max } = spec;
    if ((min !== undefined && number < min) || (max !== undefined && number > max)) {
      if (min !== undefined && max !== undefined) return refused('args.between', { name, min, max, value });
      return min !== undefined ? refused('args.atLeast', { name, min, value }) : refused('args.atMost', { name, max: max!, value });
    }
    return number;
  }
  if (spec.pattern !== undefined && !anchored(spec.pattern).test(text)) return refused('args.pattern', { name, pattern: spec.pattern, value });
  return text;
}

/** Patterns compiled once, anchored, by their source. */
const Patterns = new Map<string, RegExp>();

function anchored(pattern: string): RegExp {
  let re = Patterns.get(pattern);
  if (!re) Patterns.set(pattern, (re = new RegExp(`^(?:${pattern})$`, 'u')));
  return re;
}

function refused(key: string, params: NonNullable<Message['params']>): { reason: Message } {
  return { reason: { key, params } };
}
