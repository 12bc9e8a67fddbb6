import type { InboundMessage } from '../domain/messages.js';
import type { Accepted } from '../outbox/types.js';
import type { Caller, ReplyOptions } from './Command.js';

/** What a middleware sees of one inbound message. */
export interface MiddlewareMessage {
  /** The message text as sent. */
  readonly text: string;
  readonly message: InboundMessage;
  /** Who sent it: a known user, or a guest admitted by the guest policy. */
  readonly caller: Caller;
  /** Answer in the chat the message came from (through the outbox). */
  reply(text: string, options?: ReplyOptions): Promise<Accepted>;
}

/**
 * Sees every message of an admitted sender before command parsing. Call `next()` to pass it on
 * (to later middleware, then the commands); not calling it consumes the message.
 */
export type Middleware = (m: MiddlewareMessage, next: () => Promise<void>) => unknown;

/** Run `chain` over `m`, with `last` after the final `next()`. */
export function runMiddleware(chain: readonly Middleware[], m: MiddlewareMessage, last: () => Promise<void>): Promise<void> {
  const step = async (i: number): Promise<void> => {
    if (i === chain.length) return last();
    let called = false;
    await chain[i]!(m, () => {
      if (called) return Promise.reject(new Error('next() was called twice by one middleware'));
      called = true;
      return step(i + 1);
    });
  };
  return step(0);
}
