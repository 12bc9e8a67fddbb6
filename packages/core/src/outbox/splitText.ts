/**
 * Split text into parts of at most `max` characters (code points, so emoji and CJK are never cut in half),
 * preferring to break after a newline, then after whitespace, then anywhere.
 * @throws RangeError when `max` is below 1.
 */
export function splitText(text: string, max: number): string[] {
  if (!(max >= 1)) throw new RangeError(`split length must be at least 1 (got ${max})`);
  // UTF-16 length is never below the code-point count: short texts need no splitting (the common case).
  if (text.length <= max) return [text];
  const chars = Array.from(text);
  if (chars.length <= max) return [text];
  const parts: string[] = [];
  let start = 0;
  while (chars.length - start > max) {
    const end = start + max;
    let cut = -1;
    // Break after the last newline in the window, unless that leaves a tiny part.
    for (let i = end - 1; i > start + max / 4; i--) {
      if (chars[i] === '\n') {
        cut = i + 1;
        break;
      }
    }
    if (cut === -1) {
      for (let i = end - 1; i > start + max / 2; i--) {
        if (/\s/.test(chars[i]!)) {
          cut = i + 1;
          break;
        }
      }
    }
    if (cut === -1) cut = end;
    const part = chars.slice(start, cut).join('').replace(/\s+$/u, '');
    if (part !== '') parts.push(part);
    start = cut;
  }
  const last = chars.slice(start).join('');
  if (last.trim() !== '') parts.push(last);
  return parts;
}
