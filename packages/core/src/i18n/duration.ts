import { formatDuration } from '../util/duration.js';
import type { Locale } from './Locale.js';

/** Milliseconds for people in their language: `45s`, `3h 5m` / `45秒`, `3小时5分钟`. */
export function formatDurationIn(locale: Locale, ms: number): string {
  if (locale !== 'zh-CN') return formatDuration(ms);
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}毫秒`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}秒`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}分钟${s % 60}秒` : `${m}分钟`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}小时${m % 60}分钟` : `${h}小时`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}天${h % 24}小时` : `${d}天`;
}
