import pino from 'pino';
import { redact, secrets as registry } from '@switchboard/core';

type PinoLogger = pino.Logger;

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  readonly level: string;
  /** Append JSON lines to this file instead of stderr. */
  readonly file?: string;
  /** Literal values that must never reach a log line (everything interpolated from the environment). */
  readonly secrets?: readonly string[];
}

/** Field names whose values are masked wherever they appear in a log object. */
export const RedactedKeys = ['secret', 'appSecret', 'clientSecret', 'token', 'accessToken', 'access_token', 'password', 'authorization', 'signature'];

/**
 * A pino logger that writes JSON lines to stderr or a file. Two layers keep secrets out: known
 * secret-bearing keys are redacted by path, and every configured secret value is masked in the
 * serialised line whatever key or message it hides in.
 */
export function createLogger(options: CreateLoggerOptions): PinoLogger {
  for (const value of options.secrets ?? []) registry.add(value);
  const destination = pino.destination({ dest: options.file ?? 2, sync: true, mkdir: true });
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      redact: { paths: RedactedKeys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]), censor: '[redacted]' },
      hooks: {
        // Every line, whatever its level: registered secrets (the environment's values, adapter
        // secrets, access tokens as they are issued) and secret-bearing shapes (URL userinfo,
        // token query parameters, Authorization values) are masked.
        streamWrite: (line) => redact(line),
      },
    },
    destination,
  );
}

/** Replace every occurrence of each secret (and its JSON-escaped form) with `[redacted]`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    const escaped = JSON.stringify(secret).slice(1, -1);
    out = out.split(secret).join('[redacted]');
    if (escaped !== secret) out = out.split(escaped).join('[redacted]');
  }
  return out;
}
