const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const pattern = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/;
const compound = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/**
 * Parse a human duration: `250ms`, `30s`, `5m`, `1h`, `2d`, compounds like `1h30m`, or a number of milliseconds.
 * @throws RangeError naming the text when it is not a duration.
 */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${value} is not a duration in milliseconds`);
    return value;
  }
  const single = pattern.exec(value);
  if (single) return Math.round(Number(single[1]) * (units[single[2]!] ?? 1));
  const text = value.replace(/\s+/g, '');
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(compound)) {
    if (match.index !== consumed) break;
    total += Number(match[1]) * (units[match[2]!] ?? 1);
    consumed += match[0].length;
  }
  if (consumed === 0 || consumed !== text.length) {
    throw new RangeError(`"${value}" is not a duration; use e.g. 30s, 5m, 1h30m`);
  }
  return Math.round(total);
}

/** Format milliseconds for people: `45s`, `12m`, `3h 5m`, `2d 4h`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}
