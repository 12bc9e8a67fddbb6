import { z } from 'zod';
import { asText, getPath, toEpochMs } from '../mapping.js';
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
    if (mapping.when && !Object.entries(mapping.when).every(([path, value]) => getPath(item, path) === value)) continue;
    const key = asText(getPath(item, mapping.device));
    if (key === undefined || key === '') {
      rejected.push({ reason: `no device id at "${mapping.device}"`, item });
      continue;
    }
    const state = asText(getPath(item, mapping.state));
    if (state === undefined) {
      rejected.push({ reason: `no state at "${mapping.state}"`, item });
      continue;
    }
    const severity: Severity = mapping.severity
      ? toSeverity(getPath(item, mapping.severity), mapping.severities[state] ?? mapping.defaultSeverity)
      : mapping.severities[state] ?? mapping.defaultSeverity;
    const resolvedValue = mapping.resolved ? getPath(item, mapping.resolved) : undefined;
    const resolved =
      resolvedValue !== undefined ? resolvedValue === true || resolvedValue === 'true' || resolvedValue === 'resolved' : mapping.normal.includes(state);
    const fingerprint = mapping.fingerprint ? asText(getPath(item, mapping.fingerprint)) : undefined;
    updates.push({
      source,
      key,
      topic: (mapping.topic ? asText(getPath(item, mapping.topic)) : undefined) ?? mapping.defaultTopic,
      severity,
      state,
      text: (mapping.text ? asText(getPath(item, mapping.text)) : undefined) ?? `${key} is ${state}`,
      at: mapping.at ? toEpochMs(getPath(item, mapping.at), now) : now,
      resolved,
      ...(fingerprint !== undefined ? { fingerprint } : {}),
    });
  }
  return { updates, rejected };
}
