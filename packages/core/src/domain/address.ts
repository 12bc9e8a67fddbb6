import { clip } from '../util/clip.js';

/** Where a message can be sent. Stable across restarts, so it can be persisted in the outbox journal. */
export interface Address {
  /** Adapter name, e.g. `console`, `qq`, `wechat`. */
  readonly platform: string;
  /** What kind of chat the id names. */
  readonly kind: AddressKind;
  /** Platform-specific chat id. */
  readonly id: string;
}

/** The chat kinds an {@link Address} may name. */
export type AddressKind = 'user' | 'group' | 'channel' | 'dm';

/** Every {@link AddressKind}, for checking input. */
export const AddressKinds: ReadonlySet<string> = new Set<AddressKind>(['user', 'group', 'channel', 'dm']);

/** @throws TypeError naming what is wrong when `to` is not a usable destination. */
export function assertAddress(to: Address | undefined): void {
  if (!to || typeof to.platform !== 'string' || typeof to.id !== 'string' || to.platform === '' || to.id === '') {
    throw new TypeError('message has no valid destination (to.platform and to.id are required)');
  }
  if (!AddressKinds.has(to.kind)) {
    throw new TypeError(`destination kind must be user, group, channel or dm (got "${String(to.kind)}")`);
  }
}

/** The sender of a message as the platform knows them. */
export interface Identity {
  readonly platform: string;
  readonly id: string;
}

/** A key that identifies an address uniquely, e.g. `qq:group:ABC`. Used for per-destination queues. */
export function addressKey(address: Address): string {
  return `${address.platform}:${address.kind}:${address.id}`;
}

/** A key that identifies an identity uniquely, e.g. `console:alice`. */
export function identityKey(identity: Identity): string {
  return `${identity.platform}:${identity.id}`;
}

/**
 * Parse `platform:id` (the id may itself contain colons, as WeChat room ids do).
 * @throws TypeError naming the bad input when there is no platform part or no id part.
 */
export function parseIdentity(text: string): Identity {
  const at = text.indexOf(':');
  if (at <= 0 || at === text.length - 1) {
    throw new TypeError(`"${clip(text)}" is not an identity; expected platform:id, e.g. console:alice`);
  }
  return { platform: text.slice(0, at).trim(), id: text.slice(at + 1).trim() };
}
