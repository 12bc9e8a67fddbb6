import { createHash } from 'node:crypto';
import { asText, readableText, toEpochMs } from '../mapping.js';
import { toSeverity, type Severity, type Update } from '../Update.js';
import { mapFrame, type FrameMapping } from './FrameMapping.js';

/** Result of reading a webhook body. */
export type Decoded = { readonly updates: Update[] } | { readonly error: string };

/**
 * Alertmanager's webhook (version 4): one update per alert, keyed by alert name and instance, with
 * its fingerprint; `resolved` alerts are resolves. Grafana's alerting webhook uses the same shape.
 * @see https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
 */
export function decodeAlertmanager(body: unknown, source: string, now = Date.now()): Decoded {
  if (!body || typeof body !== 'object') return { error: 'body is not a JSON object' };
  const payload = body as { version?: unknown; alerts?: unknown };
  if (payload.version !== undefined && String(payload.version) !== '4') {
    return { error: `unsupported Alertmanager payload version ${JSON.stringify(payload.version)} (expected "4")` };
  }
  if (!Array.isArray(payload.alerts)) return { error: 'no "alerts" array' };
  const updates: Update[] = [];
  for (const [i, raw] of payload.alerts.entries()) {
    const alert = raw as { status?: unknown; labels?: Record<string, unknown>; annotations?: Record<string, unknown>; startsAt?: unknown; endsAt?: unknown; fingerprint?: unknown };
    const labels = alert?.labels;
    if (!labels || typeof labels !== 'object') return { error: `alerts[${i}] has no labels` };
    const name = readableText(labels.alertname) || 'alert';
    const instance = readableText(labels.instance ?? labels.device ?? labels.job) || undefined;
    const fingerprint = typeof alert.fingerprint === 'string' && alert.fingerprint !== '' ? alert.fingerprint : undefined;
    const resolved = alert.status === 'resolved';
    updates.push({
      source,
      key: instance ? `${name}@${instance}` : fingerprint ?? name,
      topic: name,
      severity: toSeverity(labels.severity, 'warning'),
      state: resolved ? 'resolved' : 'firing',
      // Annotations are meant to be text, but a sender may put anything there: rendered readably.
      text: readableText(alert.annotations?.summary) || readableText(alert.annotations?.description) || `${name}${instance ? ` on ${instance}` : ''}`,
      at: toEpochMs(resolved ? alert.endsAt : alert.startsAt, now),
      resolved,
      labels: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, readableText(v) ?? ''])),
      ...(fingerprint ? { fingerprint } : {}),
    });
  }
  return { updates };
}

const easyconTag = /^\s*\[(crit|critical|error|err|warn|warning|info)\]\s*/i;

/**
 * EasyCon (伊机控) `alert.json` pushes: the script's `ALERT "text"` arrives as `{{content}}`, which
 * EasyCon URL-encodes with HttpUtility.UrlEncode even inside a JSON body (space becomes `+`).
 * Accepts a JSON body with `msg`, `content` or `text` (and optional `title`), or a GET with
 * `?content=&title=`. A leading `[crit]`, `[error]`, `[warn]` or `[info]` sets the severity.
 * Each push is an event: EasyCon has no states and never resolves.
 */
export function decodeEasyCon(method: string, query: URLSearchParams, body: unknown, source: string, now = Date.now()): Decoded {
  let raw: string | undefined;
  let title: string | undefined;
  if (method === 'GET') {
    raw = query.get('content') ?? query.get('msg') ?? undefined;
    title = query.get('title') ?? undefined;
  } else if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    raw = asText(b.msg ?? b.content ?? b.text);
    title = asText(b.title);
  }
  if (raw === undefined || raw === '') return { error: 'no message: expected msg, content or text' };
  const text = formDecode(raw);
  const tag = easyconTag.exec(text);
  const severity: Severity = tag ? toSeverity(tag[1]!) : 'info';
  const message = tag ? text.slice(tag[0].length) : text;
  const name = title ? formDecode(title) : undefined;
  return {
    updates: [
      {
        source,
        key: name && name !== '伊机控消息' ? name : 'easycon',
        topic: 'script',
        severity,
        state: 'alert',
        text: message,
        at: now,
        resolved: false,
        event: true,
        fingerprint: createHash('sha1').update(message).digest('hex').slice(0, 16),
      },
    ],
  };
}

/** Decode `application/x-www-form-urlencoded` text (`+` is a space); text that is not encoded stays as it is. */
export function formDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** A generic JSON body: one update or a list, read with the feed's mapping. */
export function decodeGeneric(body: unknown, mapping: FrameMapping, source: string, now = Date.now()): Decoded {
  const { updates, rejected } = mapFrame(body, mapping, source, now);
  if (rejected.length > 0) return { error: rejected.map((r) => r.reason).join('; ') };
  if (updates.length === 0) return { error: 'no updates in body' };
  return { updates };
}

/** Read a JSON body; undefined when it is empty. @throws SyntaxError for invalid JSON. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  return JSON.parse(body.toString('utf8'));
}

