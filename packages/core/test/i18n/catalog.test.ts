import { describe, expect, it } from 'vitest';
import { Catalog, coreMessagesEn, coreMessagesZhCN, formatDurationIn, Locales, parseLocale, placeholders } from '@switchboard/core';

describe('the core catalog', () => {
  it('has every key in every locale, with the same placeholders', () => {
    const tables = { en: coreMessagesEn as Record<string, string>, 'zh-CN': coreMessagesZhCN as Record<string, string> };
    for (const locale of Locales) expect(Object.keys(tables[locale]).sort()).toEqual(Object.keys(tables.en).sort());
    for (const [key, text] of Object.entries(tables.en)) {
      for (const locale of Locales) expect({ key, locale, placeholders: placeholders(tables[locale][key]!) }).toEqual({ key, locale, placeholders: placeholders(text) });
    }
  });

  it('fills placeholders, picks plural forms, falls back to English, then to the key', () => {
    const catalog = new Catalog();
    const remove = catalog.add({ en: { 'x.n.one': '{count} thing', 'x.n.other': '{count} things', 'x.only': 'only in English {what}' }, 'zh-CN': { 'x.n.other': '{count} 个东西' } });
    expect(catalog.t('en', 'x.n', { count: 1 })).toBe('1 thing');
    expect(catalog.t('en', 'x.n', { count: 2 })).toBe('2 things');
    expect(catalog.t('zh-CN', 'x.n', { count: 1 })).toBe('1 个东西');
    expect(catalog.t('zh-CN', 'x.only', { what: 'here' })).toBe('only in English here');
    expect(catalog.t('en', 'x.missing')).toBe('x.missing');
    remove();
    expect(catalog.t('en', 'x.only')).toBe('x.only');
  });

  it('reads languages as people type them, and says durations in each', () => {
    expect(['zh-CN', 'zh_cn', 'ZH', '中文'].map(parseLocale)).toEqual(['zh-CN', 'zh-CN', 'zh-CN', 'zh-CN']);
    expect(['en', 'en-US', 'English', '英文'].map(parseLocale)).toEqual(['en', 'en', 'en', 'en']);
    expect(parseLocale('fr')).toBeUndefined();
    expect([45_000, 300_000, 3_900_000, 100_800_000].map((ms) => formatDurationIn('zh-CN', ms))).toEqual(['45秒', '5分钟', '1小时5分钟', '1天4小时']);
    expect(formatDurationIn('en', 300_000)).toBe('5m');
  });
});
