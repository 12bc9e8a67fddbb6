import type { Invocation } from './Command.js';

/** Options of {@link parseCommand}. */
export interface ParseOptions {
  /** Extra prefix people may (or in groups, must) type before a command, e.g. `!`. `/` is always accepted. */
  readonly prefix?: string;
}

/** A parsed message: the invocation and whether it was explicitly addressed to the bot by a prefix. */
export interface ParsedCommand extends Invocation {
  readonly prefixed: boolean;
}

// Leading mentions as people type them (`@bot`, `@机器人 `) and as some platforms encode them (`<@!123>`, `<@abc>`).
const leadingMention = /^(?:<@!?[^>\s]+>|@[^\s@]+)[\s\u3000]*/u;
// Full-width forms Chinese input methods produce where ASCII was meant.
const fullWidth: Record<string, string> = { '\uFF1A': ':', '\uFF0F': '/', '\u3000': ' ', '\uFF01': '!' };

function normaliseHead(text: string): string {
  return text.replace(/[\uFF1A\uFF0F\u3000\uFF01]/g, (c) => fullWidth[c] ?? c);
}

/**
 * Parse what people type into an invocation:
 * `status`, `/status`, `!status` (with prefix `!`), `@bot status`, `set temp:25`, `set temp 25`,
 * `temp:25`, `temp：25` (full-width colon), `promote bob admin`.
 * @returns undefined for a message that is no command at all (empty, or only mentions/prefix).
 */
export function parseCommand(raw: string, options: ParseOptions = {}): ParsedCommand | undefined {
  let text = raw.trim();
  for (let match = leadingMention.exec(text); match; match = leadingMention.exec(text)) {
    text = text.slice(match[0].length);
  }
  text = normaliseHead(text).trimStart();

  let prefixed = false;
  const prefix = options.prefix ? normaliseHead(options.prefix) : undefined;
  if (prefix && text.startsWith(prefix)) {
    text = text.slice(prefix.length);
    prefixed = true;
  } else if (text.startsWith('/')) {
    text = text.slice(1);
    prefixed = true;
  }
  text = text.trim();
  if (text === '') return undefined;

  // `name:value` — the head runs up to the first colon when no whitespace comes before it.
  const colon = text.indexOf(':');
  const space = text.search(/\s/);
  if (colon > 0 && (space === -1 || colon < space)) {
    const name = text.slice(0, colon).toLowerCase();
    const argText = text.slice(colon + 1).trim();
    return build(name, argText, true, prefixed);
  }

  const name = (space === -1 ? text : text.slice(0, space)).toLowerCase();
  const rest = space === -1 ? '' : text.slice(space).trim();

  // `set temp:25`, `set temp 25`, `set temp` → the setting is the command.
  if (name === 'set' && rest !== '') {
    const inner = parseCommand(rest.replace(/^([^\s:]+)\s+/, '$1:'), {});
    if (inner) return { ...inner, assignment: true, prefixed };
  }
  return build(name, rest, false, prefixed);
}

function build(name: string, argText: string, assignment: boolean, prefixed: boolean): ParsedCommand {
  const args = argText === '' ? [] : argText.split(/\s+/);
  return { name, args, argText, assignment, prefixed };
}
