import type { Address, SendResult } from '@switchboard/core';
import { QqApiError, DuplicateSeqCode, RateLimitCodes, WindowClosedCodes } from './rest/QqApiError.js';
import type { RestClient } from './rest/RestClient.js';
import type { ReplyWindows } from './ReplyWindows.js';
import type { MessageBody, SentMessage } from './types.js';

/** How sends are made. */
export interface SendOptions {
  /** Send without a reply window (bots that still have active-message permission). */
  readonly activeMessages: boolean;
  /** msg_type 2 (markdown) instead of plain text; needs the platform's approval. */
  readonly markdown: boolean;
}

/**
 * Send one text to a chat: spend a reply window (msg_id/event_id + a fresh msg_seq), or answer
 * `deferred` when the chat has none, and turn platform errors into outbox results: rate limits,
 * 5xx and network faults are transient; a closed window defers; policy refusals (URL not allowed,
 * markdown not permitted, too long) are permanent, with the platform's reason.
 */
export async function sendText(rest: RestClient, windows: ReplyWindows, to: Address, text: string, options: SendOptions): Promise<SendResult> {
  const ticket = windows.take(to);
  if (!ticket && !options.activeMessages) {
    return { type: 'deferred', reason: `no open reply window for ${to.kind} ${to.id}; the platform accepts only replies since 2025-04-21` };
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
    if (!(error instanceof QqApiError)) {
      windows.refund(to);
      return { type: 'retry', reason: error instanceof Error ? error.message : String(error) };
    }
    const code = error.platformCode;
    if (code === DuplicateSeqCode) {
      windows.refund(to);
      return { type: 'retry', afterMs: 0, reason: error.message };
    }
    if (code !== undefined && WindowClosedCodes.has(code)) {
      windows.close(to);
      return { type: 'deferred', reason: error.message };
    }
    if (/过期|expired/i.test(error.platformMessage)) {
      windows.close(to);
      return { type: 'deferred', reason: error.message };
    }
    if (error.status === 429 || (code !== undefined && RateLimitCodes.has(code)) || error.status >= 500) {
      windows.refund(to);
      return { type: 'retry', reason: error.message };
    }
    return { type: 'failed', reason: error.message };
  }
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
