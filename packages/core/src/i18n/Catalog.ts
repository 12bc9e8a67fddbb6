import { DefaultLocale, Locales, type Locale } from './Locale.js';

/** Messages of one locale by key: `{name}` is a placeholder; `key.one` / `key.other` are plural forms chosen by `{count}`. */
export type Messages = Readonly<Record<string, string>>;

/** Values for a message's placeholders. */
export type MessageParams = Readonly<Record<string, string | number>>;

/** A message to be rendered later, in the locale of whoever reads it. */
export interface Message {
  readonly key: string;
  readonly params?: MessageParams;
}

const Placeholder = /\{([A-Za-z0-9_]+)\}/g;

/**
 * Every text the bridge sends, by key and locale. The core brings its own messages; the relay and
 * plugins add theirs (`ctx.messages`). A key missing in a locale falls back to English, then to the
 * key itself, so a gap shows as a key rather than as nothing.
 */
export class Catalog {
  private readonly tables = new Map<Locale, Map<string, string>>(Locales.map((l) => [l, new Map()]));
  private readonly plurals = new Map<Locale, Intl.PluralRules>(Locales.map((l) => [l, new Intl.PluralRules(l)]));

  /** Add messages per locale. @returns a disposer that takes them out again. */
  add(messages: Partial<Record<Locale, Messages>>): () => void {
    const added: [Locale, string, string | undefined][] = [];
    for (const locale of Locales) {
      const table = this.tables.get(locale)!;
      for (const [key, text] of Object.entries(messages[locale] ?? {})) {
        added.push([locale, key, table.get(key)]);
        table.set(key, text);
      }
    }
    return () => {
      for (const [locale, key, before] of added.reverse()) {
        const table = this.tables.get(locale)!;
        if (before === undefined) table.delete(key);
        else table.set(key, before);
      }
    };
  }

  has(locale: Locale, key: string): boolean {
    return this.tables.get(locale)!.has(key);
  }

  /** Render `key` in `locale` with `params`. */
  t(locale: Locale, key: string, params?: MessageParams): string {
    const text = this.lookup(locale, key, params?.count) ?? this.lookup(DefaultLocale, key, params?.count) ?? key;
    return params ? fill(text, params) : text;
  }

  /** Render a message made earlier. */
  render(locale: Locale, message: Message): string {
    return this.t(locale, message.key, message.params);
  }

  private lookup(locale: Locale, key: string, count: string | number | undefined): string | undefined {
    const table = this.tables.get(locale)!;
    if (typeof count === 'number') {
      const form = table.get(`${key}.${this.plurals.get(locale)!.select(count)}`) ?? table.get(`${key}.other`);
      if (form !== undefined) return form;
    }
    return table.get(key);
  }
}

/** Put the values in; a placeholder without a value is left as it is. */
export function fill(text: string, params: MessageParams): string {
  return text.replace(Placeholder, (whole, name: string) => (params[name] === undefined ? whole : String(params[name])));
}

/** The placeholders a message uses, sorted: the catalog test compares them across locales. */
export function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(Placeholder)].map((m) => m[1]!))].sort();
}
