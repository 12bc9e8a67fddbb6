import { clip, DurationSchema } from '@switchboard/core';
import { z } from 'zod';
import type { HomeAssistantSource } from '../../sources/HomeAssistantSource.js';
import type { MqttSource } from '../../sources/MqttSource.js';
import type { WebSocketSource } from '../../sources/WebSocketSource.js';
import { ActionFailure, defineActionKind, feedOf } from '../ActionKind.js';
import { renderJson, renderText, renderTopic, TemplateValueError } from '../template.js';

const feed = z.string().min(1);
const timeout = DurationSchema.default('10s');
const Service = /^[a-z0-9_]+\.[a-z0-9_]+$/;

/** `homeassistant: { feed, service: "light.turn_{{state}}", data }`: call_service over the feed's connection. */
export const homeAssistantAction = defineActionKind({
  feedKind: 'homeassistant',
  schema: z
    .object({
      feed,
      service: z.string().regex(/^[a-z0-9_{}\s]+\.[a-z0-9_{}\s]+$/, 'domain.service, e.g. light.turn_on or light.turn_{{state}}'),
      data: z.record(z.string(), z.unknown()).default({}),
      timeout,
    })
    .strict(),
  prepare(config, env) {
    const source = feedOf<HomeAssistantSource>(env, config.feed, 'homeassistant');
    return {
      timeoutMs: config.timeout,
      async perform({ vars, signal }) {
        const service = renderText(config.service, vars);
        if (!Service.test(service)) throw new TemplateValueError(`"${clip(service, 60)}" is not a Home Assistant service (domain.service)`);
        const [domain, name] = service.split('.') as [string, string];
        const response = await source.callService(domain, name, renderJson(config.data, vars) as Record<string, unknown>, { timeoutMs: config.timeout, signal });
        const extra = response === undefined || response === null ? '' : `\n${clip(JSON.stringify(response), 300)}`;
        return (t) => t('actions.ha.ran', { service, extra });
      },
    };
  },
});

/** `mqtt: { feed, topic, payload, qos, retain }`: publish over the feed's client. */
export const mqttAction = defineActionKind({
  feedKind: 'mqtt',
  schema: z
    .object({
      feed,
      topic: z.string().min(1).refine((t) => !/[+#]/.test(t), 'a topic to publish to cannot hold wildcards (+, #)'),
      payload: z.unknown().default(''),
      qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
      retain: z.boolean().default(false),
      timeout,
    })
    .strict(),
  prepare(config, env) {
    const source = feedOf<MqttSource>(env, config.feed, 'mqtt');
    return {
      timeoutMs: config.timeout,
      async perform({ vars }) {
        const topic = renderTopic(config.topic, vars);
        const payload = typeof config.payload === 'string' ? renderText(config.payload, vars) : JSON.stringify(renderJson(config.payload, vars));
        await source.publish(topic, payload, { qos: config.qos, retain: config.retain, timeoutMs: config.timeout });
        return (t) => t(`actions.mqtt.qos${config.qos}`, { topic, retained: config.retain ? t('actions.mqtt.retained') : '' });
      },
    };
  },
});

/** `websocket: { feed, frame, expect? }`: a frame on the feed's socket, and its acknowledgement when `expect` says what it looks like. */
export const webSocketAction = defineActionKind({
  feedKind: 'websocket',
  schema: z
    .object({
      feed,
      frame: z.unknown().refine((f) => f !== undefined, 'give the frame to send'),
      expect: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
      timeout,
    })
    .strict(),
  prepare(config, env) {
    const source = feedOf<WebSocketSource>(env, config.feed, 'websocket');
    return {
      timeoutMs: config.timeout,
      async perform({ vars, signal }) {
        const frame = renderJson(config.frame, vars);
        const expect = config.expect ? (renderJson(config.expect, vars) as Record<string, string | number | boolean>) : undefined;
        const ack = await source.sendFrame(frame, { ...(expect ? { expect } : {}), timeoutMs: config.timeout, signal });
        if (!expect) return (t) => t('actions.ws.sent', { feed: config.feed });
        // An acknowledgement that says something in words (`message`) is told in them.
        const said = ack && typeof ack === 'object' ? (ack as { message?: unknown }).message : undefined;
        const shown = typeof said === 'string' ? clip(said, 300) : clip(JSON.stringify(ack), 300);
        if ((ack as { ok?: unknown } | null)?.ok === false) throw new ActionFailure((t) => t('actions.ws.refused', { feed: config.feed, ack: shown }));
        return (t) => t('actions.ws.acked', { feed: config.feed, ack: shown });
      },
    };
  },
});
