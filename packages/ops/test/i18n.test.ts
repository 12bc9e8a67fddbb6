import { describe, expect, it } from 'vitest';
import { opsMessagesEn, opsMessagesZh } from '@switchboard/ops';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('the operations plugin\'s texts', () => {
  it('has every key in Chinese, with the same placeholders', () => {
    expect(Object.keys(opsMessagesZh).sort()).toEqual(Object.keys(opsMessagesEn).sort());
    for (const [key, text] of Object.entries(opsMessagesEn)) expect(placeholders(opsMessagesZh[key as keyof typeof opsMessagesEn]), key).toEqual(placeholders(text));
  });
});
