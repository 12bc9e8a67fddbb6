/**
 * The logging port. pino's logger satisfies it as is; the core never imports pino itself,
 * so embedders can pass any compatible logger.
 */
export interface Logger {
  trace(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

const noop = (): void => undefined;

/** A logger that discards everything; the default when none is given. */
export const silentLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
};

/** Log-safe description of an unknown thrown value. */
export function errorInfo(error: unknown): { err: { name: string; message: string; stack?: string } } {
  if (error instanceof Error) {
    return { err: { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) } };
  }
  return { err: { name: 'NonError', message: String(error) } };
}
