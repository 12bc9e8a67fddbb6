/** Wire types of the QQ Bot Open Platform (the parts this adapter uses). */

/** Gateway payload envelope. */
export interface GatewayPayload<D = unknown> {
  readonly op: number;
  readonly d?: D;
  readonly s?: number;
  readonly t?: string;
  readonly id?: string;
}

/** `GET /gateway/bot` */
export interface GatewayBotInfo {
  readonly url: string;
  readonly shards: number;
  readonly session_start_limit: {
    readonly total: number;
    readonly remaining: number;
    readonly reset_after: number;
    readonly max_concurrency: number;
  };
}

/** Body of a send; `msg_id`/`event_id` make it a passive reply. */
export interface MessageBody {
  readonly content?: string;
  readonly msg_type?: number;
  readonly markdown?: { readonly content: string };
  readonly msg_id?: string;
  readonly event_id?: string;
  readonly msg_seq?: number;
}

/** What a send answers. */
export interface SentMessage {
  readonly id?: string;
  readonly timestamp?: string | number;
}

/** Message author in guild, group and C2C events. */
export interface QqAuthor {
  readonly id?: string;
  readonly username?: string;
  readonly bot?: boolean;
  readonly member_openid?: string;
  readonly user_openid?: string;
  readonly union_openid?: string;
}

/** The `d` of message events (fields vary per kind). */
export interface QqMessageEvent {
  readonly id: string;
  readonly content?: string;
  readonly timestamp?: string;
  readonly author?: QqAuthor;
  readonly channel_id?: string;
  readonly guild_id?: string;
  readonly src_guild_id?: string;
  readonly group_openid?: string;
  readonly group_id?: string;
  readonly direct_message?: boolean;
  readonly seq?: number;
  /** The message this one replies to (guild channels and DMs). */
  readonly message_reference?: { readonly message_id?: string };
}

/** The `d` of window-opening events (friend add, robot added, message receive switched on). */
export interface QqWindowEvent {
  readonly openid?: string;
  readonly group_openid?: string;
  readonly op_member_openid?: string;
  readonly timestamp?: number;
}
