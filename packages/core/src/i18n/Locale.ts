/** The languages the bridge speaks. */
export const Locales = ['en', 'zh-CN'] as const;
export type Locale = (typeof Locales)[number];

/** The locale used when neither the config nor the user chose one. */
export const DefaultLocale: Locale = 'en';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (Locales as readonly string[]).includes(value);
}

const Spellings: Readonly<Record<string, Locale>> = {
  en: 'en',
  'en-us': 'en',
  'en-gb': 'en',
  english: 'en',
  英文: 'en',
  英语: 'en',
  zh: 'zh-CN',
  'zh-cn': 'zh-CN',
  'zh-hans': 'zh-CN',
  cn: 'zh-CN',
  chinese: 'zh-CN',
  中文: 'zh-CN',
  简体中文: 'zh-CN',
};

/** A locale as people type it (`zh-CN`, `zh_cn`, `中文`, `en-US`…); undefined when it is none we speak. */
export function parseLocale(text: string): Locale | undefined {
  return Spellings[text.trim().toLowerCase().replace(/_/g, '-')];
}

/** The language a person reads: their own choice (`lang`), else the bridge's. */
export function readerLocale(user: { readonly locale?: Locale } | undefined, bridge: Locale): Locale {
  return user?.locale ?? bridge;
}
