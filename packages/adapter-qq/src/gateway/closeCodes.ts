/** What to do after the gateway closed the connection. */
export type CloseAction = 'resume' | 'identify' | 'fatal';

/**
 * The close-code table, in one place (DOCS dev-prepare/error-trace/websocket.md, plus codes seen in
 * the wild). "4009 may resume; 4914 and 4915 may not connect; for other errors identify again."
 */
export function classifyClose(code: number): { readonly action: CloseAction; readonly reason: string } {
  switch (code) {
    case 4009:
      return { action: 'resume', reason: 'connection expired' };
    case 4008:
      return { action: 'resume', reason: 'payloads sent too fast' };
    case 4006:
      return { action: 'identify', reason: 'invalid session id' };
    case 4007:
      return { action: 'identify', reason: 'invalid seq' };
    case 4004:
      return { action: 'identify', reason: 'authentication failed (token refreshed)' };
    case 4902:
      return { action: 'identify', reason: 'resume refused' };
    case 4010:
      return { action: 'fatal', reason: 'invalid shard' };
    case 4011:
      return { action: 'fatal', reason: 'too many guilds for this shard count' };
    case 4012:
      return { action: 'fatal', reason: 'invalid gateway version' };
    case 4013:
      return { action: 'fatal', reason: 'invalid intents' };
    case 4014:
      return { action: 'fatal', reason: 'intents not permitted for this bot' };
    case 4914:
      return { action: 'fatal', reason: 'the bot is offline (taken down; sandbox only)' };
    case 4915:
      return { action: 'fatal', reason: 'the bot is banned' };
    default:
      if (code >= 4900 && code <= 4913) return { action: 'identify', reason: `internal gateway error ${code}` };
      if (code >= 4000 && code < 5000) return { action: 'identify', reason: `gateway error ${code}` };
      // 1000/1001/1006/1011…: the network or the server went away; resume if we can.
      return { action: 'resume', reason: `connection closed (${code})` };
  }
}

/** Intent bits by name (DOCS event-emit.md). */
export const Intents = {
  GUILDS: 1 << 0,
  GUILD_MEMBERS: 1 << 1,
  GUILD_MESSAGES: 1 << 9,
  GUILD_MESSAGE_REACTIONS: 1 << 10,
  DIRECT_MESSAGE: 1 << 12,
  OPEN_FORUMS_EVENT: 1 << 18,
  AUDIO_OR_LIVE_CHANNEL_MEMBER: 1 << 19,
  GROUP_AND_C2C_EVENT: 1 << 25,
  INTERACTION: 1 << 26,
  MESSAGE_AUDIT: 1 << 27,
  FORUMS_EVENT: 1 << 28,
  AUDIO_ACTION: 1 << 29,
  PUBLIC_GUILD_MESSAGES: 1 << 30,
} as const;

/** An intent name. */
export type IntentName = keyof typeof Intents;

/** OR the named intents together (`>>> 0` keeps bit 30 positive). */
export function intentBits(names: readonly IntentName[]): number {
  return names.reduce((bits, name) => (bits | Intents[name]) >>> 0, 0);
}
