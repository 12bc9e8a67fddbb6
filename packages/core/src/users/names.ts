/**
 * User names: what they may be made of, and when two are too alike.
 *
 * A name is NFKC-normalised first (full-width `ａｌｉｃｅ` is `alice`), then must be 1–32 characters
 * of a safe alphabet: ASCII letters and digits, `_`, `.`, `-`, and Chinese, Japanese and Korean
 * characters. Cyrillic, Greek and the other scripts whose letters look like Latin ones are left out
 * on purpose: `аlice` with a Cyrillic `а` cannot exist next to `alice`. Within that alphabet, two
 * names are confusable when their skeletons match: case folded, `0`→`o`, `1`/`i`/`l`→`l`,
 * `rn`→`m`, `vv`→`w`, and separators (`_ . -`) dropped.
 */
export const NamePattern = /^[A-Za-z0-9_.\-\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]{1,32}$/u;

/** What {@link NamePattern} allows, in words, for error messages. */
export const NameRule = '1–32 letters A–Z, digits, "_", "." or "-", or Chinese, Japanese or Korean characters';

/** A name as it is stored and compared: NFKC-normalised and trimmed. */
export function normalName(name: string): string {
  return name.normalize('NFKC').trim();
}

/** The key a name is looked up by: normalised and case-folded. */
export function nameKey(name: string): string {
  return normalName(name).toLowerCase();
}

/** What a name looks like, for telling confusable names apart (see the module's comment). */
export function nameSkeleton(name: string): string {
  return nameKey(name)
    .replace(/[_.-]/g, '')
    .replace(/rn/g, 'm')
    .replace(/vv/g, 'w')
    .replace(/0/g, 'o')
    .replace(/[1il]/g, 'l');
}
