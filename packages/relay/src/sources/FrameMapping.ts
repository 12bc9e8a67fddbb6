import { z } from 'zod';
import { getPath, jsonType, readableText, toEpochMs } from '../mapping.js';
import { Severities, toSeverity, type Severity, type Update } from '../Update.js';

/** How to read updates out of a JSON frame: paths into the frame, and defaults. */
export const FrameMappingSchema = z
  .object({
    /** Path to the list of updates inside a frame (e.g. `data.devices`); frames that are arrays are lists already. */
    items: z.string().optional(),
    /** Only items with these values at these paths are updates; others are skipped silently (hello, ack…). */
    when: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    device: z.string().default('device'),
    state: z.string().default('state'),
    severity: z.string().optional(),
    text: z.string().optional(),
    topic: z.string().optional(),
    resolved: z.string().optional(),
    at: z.string().optional(),
    fingerprint: z.string().optional(),
    /** Severity by state value when the frame carries none (e.g. `overheat: critical`). */
    severities: z.record(z.string(), z.enum(Severities)).default({}),
    /**
     * How to read a state that is a JSON boolean (`"on": true`), e.g. `{ true: on, false: off }`.
     * Without it such a state is refused: `true` says nothing about which way is normal.
     */
    booleans: z.object({ true: z.string().min(1), false: z.string().min(1) }).strict().optional(),
    /** States that mean "back to normal": an update in one of them is a resolve. */
    normal: z.array(z.string()).default([]),
    /** Topic when the frame has none. */
    defaultTopic: z.string().default('status'),
    defaultSeverity: z.enum(Severities).default('info'),
  })
  .strict();

/** A parsed {@link FrameMappingSchema}. */
export type FrameMapping = z.output<typeof FrameMappingSchema>;

/** The outcome of mapping one frame. */
export interface MappedFrame {
  readonly updates: Update[];
  /** Items that are not updates and why (counted as malformed by the source). */
  readonly rejected: { reason: string; item: unknown }[];
}

/** Map a parsed frame to updates for `source`. */
export function mapFrame(frame: unknown, mapping: FrameMapping, source: string, now = Date.now()): MappedFrame {
  const container = mapping.items ? getPath(frame, mapping.items) : frame;
  const items = Array.isArray(container) ? container : [container];
  const updates: Update[] = [];
  const rejected: MappedFrame['rejected'] = [];
  if (mapping.items && container === undefined) {
    rejected.push({ reason: `no list at "${mapping.items}"`, item: frame });
    return { updates, rejected };
  }
  for (const item of items) {
    if (item === null || typeof item !== 'object') {
      rejected.push({ reason: 'item is not an object', item });
      continue;
    }
    if (mapping.when && !frameMatches(item, mapping.when)) continue;
    const deviceValue = getPath(item, mapping.device);
    const key = identifier(deviceValue);
    if (key === undefined) {
      rejected.push({ reason: deviceValue === undefined || deviceValue === '' ? `no device id at "${mapping.device}"` : `device id at "${mapping.device}" is a ${jsonType(deviceValue)}, not text or a whole number`, item });
      continue;
    }
    const stateValue = getPath(item, mapping.state);
    const state = stateOf(stateValue, mapping);
    if (typeof state !== 'string') {
      rejected.push({ reason: state.reason.replace('$path', mapping.state), item });
      continue;
    }
    const topicValue = mapping.topic ? getPath(item, mapping.topic) : undefined;
    if (topicValue !== undefined && topicValue !== null && identifier(topicValue) === undefined) {
      rejected.push({ reason: `topic at "${mapping.topic}" is a ${jsonType(topicValue)}, not text`, item });
      continue;
    }
    const severity: Severity = mapping.severity
      ? toSeverity(getPath(item, mapping.severity), mapping.severities[state] ?? mapping.defaultSeverity)
      : mapping.severities[state] ?? mapping.defaultSeverity;
    const resolvedValue = mapping.resolved ? getPath(item, mapping.resolved) : undefined;
    const resolved =
      resolvedValue !== undefined ? resolvedValue === true || resolvedValue === 'true' || resolvedValue === 'resolved' : mapping.normal.includes(state);
    const fingerprintValue = mapping.fingerprint ? getPath(item, mapping.fingerprint) : undefined;
    const fingerprint = fingerprintValue === undefined || fingerprintValue === null ? undefined : identifier(fingerprintValue);
    if (fingerprintValue !== undefined && fingerprintValue !== null && fingerprint === undefined) {
      rejected.push({ reason: `fingerprint at "${mapping.fingerprint}" is a ${jsonType(fingerprintValue)}, not text`, item });
      continue;
    }
    updates.push({
      source,
      key,
      topic: identifier(topicValue) ?? mapping.defaultTopic,
      severity,
      state,
      text: (mapping.text ? readableText(getPath(item, mapping.text)) : undefined) || `${key} is ${state}`,
      at: mapping.at ? toEpochMs(getPath(item, mapping.at), now) : now,
      resolved,
      ...(fingerprint !== undefined ? { fingerprint } : {}),
    });
  }
  return { updates, rejected };
}

/** An id read from a frame: non-empty text, or a whole number printed. Anything else is not an id. */
function identifier(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return undefined;
}

/** A state read from a frame: text, a finite number printed, or a boolean through `mapping.booleans`. */
function stateOf(value: unknown, mapping: FrameMapping): string | { reason: string } {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') {
    if (mapping.booleans) return value ? mapping.booleans.true : mapping.booleans.false;
    return { reason: 'state at "$path" is a boolean; set mapping.booleans (e.g. { true: on, false: off }) to read it' };
  }
  if (value === undefined || value === null) return { reason: 'no state at "$path"' };
  return { reason: `state at "$path" is a ${jsonType(value)}, not text or a number` };
}

/** Whether a frame holds each value at its path (a `when`, `ready`, `refused` or `ignore` matcher). */
export function frameMatches(frame: unknown, matcher: Readonly<Record<string, string | number | boolean>>): boolean {
  for (const path in matcher) if (getPath(frame, path) !== matcher[path]) return false;
  return true;
}
