import { describe, expect, it } from 'vitest';
import { backoffDelay, splitText } from '@switchboard/core';

describe('splitText', () => {
  it('leaves short text alone', () => {
    expect(splitText('hello', 10)).toEqual(['hello']);
  });

  it('prefers newlines, then spaces, then a hard cut', () => {
    expect(splitText('aaaa bbbb\ncccc dddd', 12)).toEqual(['aaaa bbbb', 'cccc dddd']);
    expect(splitText('aaaa bbbb cccc', 10)).toEqual(['aaaa bbbb', 'cccc']);
    expect(splitText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('never cuts an emoji or CJK character in half and keeps every character', () => {
    const text = '温度过高🔥'.repeat(7);
    const parts = splitText(text, 8);
    expect(parts.every((p) => Array.from(p).length <= 8)).toBe(true);
    expect(parts.join('')).toBe(text);
    expect(parts.join('')).not.toMatch(/\uFFFD/);
  });

  it('rejects a limit below one', () => {
    expect(() => splitText('x', 0)).toThrow(RangeError);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, with full jitter', () => {
    const half = { baseMs: 100, maxMs: 1000, random: () => 0.5 };
    expect([1, 2, 3, 4, 5, 10].map((a) => backoffDelay(a, half))).toEqual([50, 100, 200, 400, 500, 500]);
    expect(backoffDelay(3, { ...half, random: () => 0 })).toBe(0);
  });
});
