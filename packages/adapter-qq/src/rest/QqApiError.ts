import { SwitchboardError } from '@switchboard/core';

/**
 * An error answer from the QQ OpenAPI: HTTP status, the platform's code and message, and the trace
 * id (`X-Tps-trace-ID`) that platform support asks for. Never carries the token or the secret.
 */
export class QqApiError extends SwitchboardError {
  constructor(
    readonly status: number,
    readonly platformCode: number | undefined,
    readonly platformMessage: string,
    readonly traceId: string | undefined,
    readonly path: string,
  ) {
    super(
      String(platformCode ?? status),
      `QQ API ${path} answered ${status}${platformCode !== undefined ? ` code ${platformCode}` : ''}: ${platformMessage}${traceId ? ` (trace ${traceId})` : ''}`,
    );
  }
}

/** Platform codes that mean "too fast": retry later. */
export const RateLimitCodes = new Set([22009, 20028, 304045, 304049, 304050, 304035, 304047, 1100100, 1100308, 610013, 100001]);

/** The reply-window codes: the passive reply is no longer (or never was) allowed. */
export const WindowClosedCodes = new Set([40034102, 40034105, 40034024, 304027]);

/** A reused msg_seq for the same msg_id. */
export const DuplicateSeqCode = 40054005;

/** Token codes after which one refresh and one retry are worth it. */
export const TokenCodes = new Set([11244, 11241, 11242, 11243]);
