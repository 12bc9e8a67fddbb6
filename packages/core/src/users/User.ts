import type { Identity } from '../domain/address.js';
import type { Tier } from '../domain/tiers.js';
import type { Locale } from '../i18n/Locale.js';

/** A person known to the bridge. */
export interface User {
  /** Unique, case-insensitive handle used in commands (`promote bob`). */
  readonly name: string;
  readonly tier: Tier;
  /** The same person on several platforms; each identity belongs to one user at most. */
  readonly identities: readonly Identity[];
  /** Topics or device keys the user asked to hear about (the relay decides what they may hear). */
  readonly subscriptions: readonly string[];
  /** Epoch ms until which notifications to this user are held back; absent when not muted. */
  readonly mutedUntil?: number;
  readonly createdAt: number;
  /** Where their notifications go (`notify …` in chat); absent means the bridge's default (`last`). */
  readonly notify?: NotifyChoice;
  /** The platform they last wrote from (for `notify last`). */
  readonly lastPlatform?: string;
  /** The language they chose (`lang`); absent means the bridge's. */
  readonly locale?: Locale;
}

/**
 * Where a person's notifications go: `last` (the platform they last wrote from), `all` (every
 * platform they can be reached on) or one platform by adapter name (`qq`, `wechat`…).
 */
export type NotifyChoice = 'last' | 'all' | (string & {});

/** Who asks for a directory change: a user (tier rules apply) or the system (config seeding, offline CLI). */
export type Actor = User | SystemActor;

/** The bridge itself or its operator at the shell: not bound by tier rules, but still by the last-root rule. */
export interface SystemActor {
  readonly system: true;
  readonly label: string;
}

/** The system actor used by config seeding and the offline CLI. */
export function systemActor(label: string): SystemActor {
  return { system: true, label };
}

/** True when the actor is the system rather than a user. */
export function isSystem(actor: Actor): actor is SystemActor {
  return 'system' in actor;
}

/** What a new user is made of. */
export interface NewUser {
  readonly name: string;
  readonly tier: Tier;
  readonly identities?: readonly Identity[];
  readonly subscriptions?: readonly string[];
}

/** One change to the directory, as emitted on `changes$` after it was persisted. */
export type DirectoryChange =
  | { readonly type: 'added'; readonly user: User; readonly by: string }
  | { readonly type: 'removed'; readonly user: User; readonly by: string }
  | { readonly type: 'tier'; readonly user: User; readonly from: Tier; readonly by: string }
  | { readonly type: 'identities'; readonly user: User; readonly by: string }
  | { readonly type: 'subscriptions'; readonly user: User; readonly by: string }
  | { readonly type: 'muted'; readonly user: User; readonly by: string }
  | { readonly type: 'notify'; readonly user: User; readonly by: string }
  | { readonly type: 'locale'; readonly user: User; readonly by: string }
  /** They wrote from another platform than before (`lastPlatform`). */
  | { readonly type: 'seen'; readonly user: User; readonly by: string };
