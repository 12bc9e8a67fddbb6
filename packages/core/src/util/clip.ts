/** How much of a person's input a reply quotes back, at most. */
export const MaxEcho = 64;

/**
 * `text` cut to `max` characters (code points) with an ellipsis: for quoting a person's input back
 * to them ("Unknown command …"), so that a reply is never larger than a few lines whatever was sent.
 */
export function clip(text: string, max = MaxEcho): string {
  if (text.length <= max) return text;
  const points = Array.from(text.slice(0, max * 2));
  return points.length <= max ? points.join('') : `${points.slice(0, max).join('')}…`;
}
