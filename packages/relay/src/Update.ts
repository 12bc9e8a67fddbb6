/** Severities, least to most severe (PagerDuty's names). */
export const Severities = ['info', 'warning', 'error', 'critical'] as const;

/** One of {@link Severities}. */
export type Severity = (typeof Severities)[number];

const rank: Record<Severity, number> = { info: 0, warning: 1, error: 2, critical: 3 };

/** True when `a` is at least as severe as `b`. */
export function atLeast(a: Severity, b: Severity): boolean {
  return rank[a] >= rank[b];
}

/** Numeric rank: 0 for info up to 3 for critical. */
export function severityRank(severity: Severity): number {
  return rank[severity];
}

/**
 * Read a severity from what feeds send: our names, common synonyms (`warn`, `crit`, `fatal`),
 * Opsgenie priorities (`P1`…`P5`) and syslog-ish levels. Unknown values give `fallback`.
 */
export function toSeverity(value: unknown, fallback: Severity = 'info'): Severity {
  if (typeof value !== 'string' && typeof value !== 'number') return fallback;
  const text = String(value).trim().toLowerCase();
  if (text in rank) return text as Severity;
  switch (text) {
    case 'p1':
    case 'crit':
    case 'fatal':
    case 'emergency':
    case 'alert':
    case 'page':
      return 'critical';
    case 'p2':
    case 'err':
    case 'high':
      return 'error';
    case 'p3':
    case 'warn':
    case 'medium':
      return 'warning';
    case 'p4':
    case 'p5':
    case 'low':
    case 'notice':
    case 'debug':
    case 'ok':
      return 'info';
    default:
      return fallback;
  }
}

/** The icon that starts a notification of each severity. */
export const SeverityIcons: Readonly<Record<Severity, string>> = { info: 'ℹ️', warning: '⚠️', error: '❗', critical: '🔥' };

/** What a feed says about one device (or entity, monitor, alert) at one moment. */
export interface Update {
  /** The feed it came from (its configured name). */
  readonly source: string;
  /** Device or entity id, unique within the source. */
  readonly key: string;
  /** What kind of thing it is about (e.g. `temperature`, `print`, an alert name). */
  readonly topic: string;
  readonly severity: Severity;
  /** The device's state as the feed names it (`ok`, `overheat`, `printing`, `firing`…). */
  readonly state: string;
  /** Human text, when the feed gave one. */
  readonly text: string;
  /** Epoch ms when it happened (the feed's time when it gave one). */
  readonly at: number;
  /** The condition is over (Alertmanager `resolved`, a device back to normal). */
  readonly resolved: boolean;
  /**
   * An event rather than a state: always news, never "unchanged" (an EasyCon script's ALERT, a
   * print-finished notice).
   */
  readonly event?: boolean;
  /** Feed-specific labels (Alertmanager labels, HA attributes…), available to templates and alerts. */
  readonly labels?: Readonly<Record<string, string>>;
  /** A stable id from the feed for this condition (Alertmanager fingerprint), when it has one. */
  readonly fingerprint?: string;
}

/** `source/key`: the identity of a device across the relay. */
export function deviceId(update: Pick<Update, 'source' | 'key'>): string {
  return `${update.source}/${update.key}`;
}
