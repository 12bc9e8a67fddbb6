import type { Address, Logger, SendRequest, SendResult } from '@switchboard/core';
import { QqApiError, DuplicateSeqCode, RateLimitCodes, WindowClosedCodes } from './rest/QqApiError.js';
import type { RestClient } from './rest/RestClient.js';
import type { ReplyTarget, ReplyTicket, ReplyWindows } from './ReplyWindows.js';
import type { MessageBody, SentMessage } from './types.js';

/** How sends are made. */
export interface SendOptions {
  /** Send without a reply window (bots that still have active-message permission). */
  readonly activeMessages: boolean;
  /** msg_type 2 (markdown) instead of plain text; needs the platform's approval. */
  readonly markdown: boolean;
  readonly logger: Logger;
}

/**
 * Send one text to a chat as a passive reply, and turn platform errors into outbox results. A
 * command's reply spends the window of the message it answers (`replyContext`), falling back to
 * another open window of the chat only when that one is spent or expired; a notification spends
 * the chat's freshest window with a reply to spare. With no usable window the answer is
 * `deferred`. Rate limits, 5xx and network faults are transient; a closed window is dropped and
 * the send tried again on another (or deferred); policy refusals (URL not allowed, markdown not
 * permitted, too long) are permanent, with the platform's reason.
 */
export async function sendText(rest: RestClient, windows: ReplyWindows, request: SendRequest, options: SendOptions): Promise<SendResult> {
  const { to, text } = request;
  const target = replyTargetOf(request.replyContext);
  const ticket = windows.take(to, target, request.id);
  if (!ticket && !options.activeMessages) {
    return { type: 'deferred', reason: `no open reply window for ${to.kind} ${to.id}; the platform accepts only replies since 2025-04-21` };
  }
  if (ticket?.fallback && target) {
    options.logger.debug(
      { id: request.id, chat: `${to.kind}:${to.id}`, answers: target.msgId, via: ticket.msgId ?? ticket.eventId, why: ticket.fallback },
      'the reply’s own message window is not usable; replying through another window of the chat',
    );
  }
  const body: MessageBody = {
    ...(options.markdown ? { msg_type: 2, markdown: { content: text } } : { msg_type: 0, content: text }),
    ...(ticket?.msgId ? { msg_id: ticket.msgId } : {}),
    ...(ticket?.eventId ? { event_id: ticket.eventId } : {}),
    ...(ticket ? { msg_seq: ticket.seq } : {}),
  };
  try {
    const sent = await post(rest, to, body);
    return { type: 'delivered', ...(sent?.id ? { platformId: sent.id } : {}) };
  } catch (error) {
    return refused(error, windows, to, ticket);
  }
}

function refused(error: unknown, windows: ReplyWindows, to: Address, ticket: ReplyTicket | undefined): SendResult {
  if (!(error instanceof QqApiError)) {
    if (ticket) windows.refund(ticket);
    return { type: 'retry', reason: error instanceof Error ? error.message : String(error) };
  }
  const code = error.platformCode;
  // The same part through the same window with the same seq: the platform has it (sent before a retry or a crash).
  if (code === DuplicateSeqCode && ticket?.stable) return { type: 'delivered' };
  if (code === DuplicateSeqCode) {
    if (ticket) windows.refund(ticket);
    return { type: 'retry', afterMs: 0, reason: error.message };
  }
  if ((code !== undefined && WindowClosedCodes.has(code)) || /过期|expired/i.test(error.platformMessage)) {
    if (ticket) windows.close(to, ticket);
    // Another window of the chat may still be open: try it now rather than wait for a new one.
    return windows.remaining(to) > 0 ? { type: 'retry', afterMs: 0, reason: error.message } : { type: 'deferred', reason: error.message };
  }
  if (error.status === 429 || (code !== undefined && RateLimitCodes.has(code)) || error.status >= 500) {
    if (ticket) windows.refund(ticket);
    return { type: 'retry', reason: error.message };
  }
  return { type: 'failed', reason: error.message };
}

/** The message a reply answers, from the `replyContext` that decode.ts put on the inbound message. */
export function replyTargetOf(context: unknown): ReplyTarget | undefined {
  if (typeof context !== 'object' || context === null) return undefined;
  const { msgId, at } = context as { msgId?: unknown; at?: unknown };
  if (typeof msgId !== 'string' || msgId === '') return undefined;
  return { msgId, ...(typeof at === 'number' && Number.isFinite(at) ? { at } : {}) };
}

function post(rest: RestClient, to: Address, body: MessageBody): Promise<SentMessage> {
  switch (to.kind) {
    case 'user':
      return rest.sendC2C(to.id, body);
    case 'group':
      return rest.sendGroup(to.id, body);
    case 'channel':
      return rest.sendChannel(to.id, body);
    case 'dm':
      return rest.sendDm(to.id, body);
  }
}
