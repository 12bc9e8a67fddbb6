import { globMatch } from '../mapping.js';
import type { Update } from '../Update.js';

/** One silence matcher: `field=glob`, `field!=glob`, `field=~regex`, `field!~regex`. */
export interface Matcher {
  /** `source`, `device`, `topic`, `severity`, `state`, or a label name. */
  readonly field: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

const pattern = /^([A-Za-z_][\w.-]*)(=~|!~|!=|=)(.+)$/;

/** True when `text` looks like a matcher (so command parsing can tell matchers from a duration). */
export function isMatcherText(text: string): boolean {
  return /^[A-Za-z_][\w.-]*(=~|!~|!=|=)/.test(text);
}

/**
 * Parse `device=thermo-*,source=demo` (or several such arguments).
 * @throws Error naming the first matcher that cannot be read; nothing is returned half-parsed.
 */
export function parseMatchers(texts: readonly string[]): Matcher[] {
  const matchers: Matcher[] = [];
  for (const part of texts.flatMap((t) => t.split(',')).map((p) => p.trim()).filter(Boolean)) {
    const match = pattern.exec(part);
    if (!match) throw new Error(`"${part}" is not a matcher; use field=value, field!=value, field=~regex or field!~regex`);
    const [, field, op, value] = match as unknown as [string, string, Matcher['op'], string];
    if (op === '=~' || op === '!~') {
      try {
        new RegExp(value);
      } catch (error) {
        throw new Error(`"${part}": ${(error as Error).message}`);
      }
    }
    matchers.push({ field, op, value });
  }
  if (matchers.length === 0) throw new Error('no matchers given; e.g. device=thermo-1 or source=demo,severity=critical');
  return matchers;
}

/** Whether every matcher matches the update (fields first, then labels). */
export function matchesAll(matchers: readonly Matcher[], update: Update): boolean {
  return matchers.every((m) => {
    const actual = fieldOf(update, m.field) ?? '';
    switch (m.op) {
      case '=':
        return globMatch(m.value, actual);
      case '!=':
        return !globMatch(m.value, actual);
      case '=~':
        return anchored(m.value).test(actual);
      case '!~':
        return !anchored(m.value).test(actual);
    }
  });
}

const patterns = new Map<string, RegExp>();

/** A matcher's regular expression, anchored at both ends, compiled once per pattern. */
function anchored(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`);
    patterns.set(pattern, re);
  }
  return re;
}

/** The value of a field (`source`, `device`, `topic`, `severity`, `state`) or label of an update. */
export function fieldOf(update: Update, field: string): string | undefined {
  switch (field) {
    case 'source':
      return update.source;
    case 'device':
      return update.key;
    case 'topic':
      return update.topic;
    case 'severity':
      return update.severity;
    case 'state':
      return update.state;
    default:
      return update.labels?.[field];
  }
}

/** `device=thermo-1,source=demo` */
export function formatMatchers(matchers: readonly Matcher[]): string {
  return matchers.map((m) => `${m.field}${m.op}${m.value}`).join(',');
}
