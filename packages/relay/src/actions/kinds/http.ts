import { clip, DurationSchema } from '@switchboard/core';
import { request } from 'undici';
import { z } from 'zod';
import { ActionFailure, defineActionKind } from '../ActionKind.js';
import { renderJson, renderText, renderUrl, TemplateValueError } from '../template.js';

/** Body bytes read at most; the rest is dropped unread. */
const MaxBodyBytes = 64 * 1024;
/** Body characters shown in the reply. */
const ShownBody = 300;

/** `http: { method, url, headers, body }`: one request through undici; the reply is its status and a short body. */
export const httpAction = defineActionKind({
  schema: z
    .object({
      method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).default('POST'),
      url: z.string().regex(/^https?:\/\//, 'must be an http:// or https:// URL'),
      headers: z.record(z.string(), z.string()).default({}),
      /** An object or array is sent as JSON; a string as text. */
      body: z.unknown().optional(),
      timeout: DurationSchema.default('10s'),
    })
    .strict(),
  prepare(config) {
    const origin = new URL(config.url.replace(/\{\{[^}]*\}\}/g, 'x')).origin;
    return {
      timeoutMs: config.timeout,
      async perform({ vars, signal }) {
        const url = renderUrl(config.url, vars);
        // Values are percent-encoded, so this holds; checked anyway, as the last word on where it goes.
        if (url.origin !== origin) throw new TemplateValueError(`the URL would leave ${origin}`);
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(config.headers)) headers[name.toLowerCase()] = renderText(value, vars);
        let body: string | undefined;
        if (config.body !== undefined && config.method !== 'GET' && config.method !== 'HEAD') {
          if (typeof config.body === 'string') {
            body = renderText(config.body, vars);
            headers['content-type'] ??= 'text/plain; charset=utf-8';
          } else {
            body = JSON.stringify(renderJson(config.body, vars));
            headers['content-type'] ??= 'application/json';
          }
        }
        const timeout = AbortSignal.timeout(config.timeout);
        let response: Awaited<ReturnType<typeof request>>;
        try {
          response = await request(url, {
            method: config.method,
            headers,
            ...(body !== undefined ? { body } : {}),
            signal: AbortSignal.any([signal, timeout]),
            headersTimeout: config.timeout,
            bodyTimeout: config.timeout,
          });
        } catch (error) {
          const where = `${config.method} ${url.origin}${url.pathname}`;
          if (timeout.aborted) throw new ActionFailure((t) => t('actions.http.noAnswer', { where, seconds: Math.round(config.timeout / 1000) }));
          const reason = (error as Error).message;
          throw new ActionFailure((t) => t('actions.http.failed', { where, reason }));
        }
        const text = await readCapped(response.body);
        const status = `HTTP ${response.statusCode}`;
        const shown = text.trim() ? `\n${clip(text.trim(), ShownBody)}` : '';
        if (response.statusCode >= 400) throw new Error(`${status}${shown}`);
        return `${status}${shown}`;
      },
    };
  },
});

/** The body as text, at most {@link MaxBodyBytes}; the rest is discarded. */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MaxBodyBytes) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, MaxBodyBytes).toString('utf8');
}
