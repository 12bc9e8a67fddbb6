import type { Catalog } from '../i18n/Catalog.js';
import type { Locale } from '../i18n/Locale.js';
import type { Command } from './Command.js';

/** A command as people reading `locale` see it: its name there (the first alias of that language), description and usage. */
export function localized(command: Command, locale: Locale): { name: string; description: string; usage: string } {
  const local = command.locales?.[locale];
  return {
    name: local?.aliases?.[0] ?? command.name,
    description: local?.description ?? command.description,
    usage: local?.usage ?? command.usage,
  };
}

/** `Usage: name <args>` in `locale`, the usage line of that language. */
export function usageLine(messages: Catalog, locale: Locale, command: Command): string {
  const { usage } = localized(command, locale);
  return messages.t(locale, 'usage', { synopsis: `${command.name}${usage ? ' ' + usage : ''}` });
}
