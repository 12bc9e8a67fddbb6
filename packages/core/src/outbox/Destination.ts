import { addressKey, assertAddress, type Address, type AddressKind } from '../domain/address.js';
import type { Lanes } from '../util/Lanes.js';
import type { SendingLane } from './SendingLane.js';
import type { Pending } from './Pending.js';

/**
 * A chat address made by {@link Outbox.destination}, for callers that send to the same chats again
 * and again (the relay fans every alert out to the users allowed to see it). It is checked once,
 * when made, and remembers its lane in the outbox that made it, so a message addressed with it
 * needs no validation, no key string and no lookup of its own. Immutable as an address; serialises
 * as a plain one.
 */
export class Destination implements Address {
  readonly platform: string;
  readonly kind: AddressKind;
  readonly id: string;
  /** The lane key ({@link addressKey}). */
  readonly key: string;
  /** `kind:id`, as a multicast journal record lists its members. */
  readonly chat: string;
  private lane: SendingLane | undefined;

  /** @throws TypeError for a malformed address (see {@link assertAddress}). */
  constructor(
    address: Address,
    private readonly lanes: Lanes<Pending, SendingLane>,
  ) {
    assertAddress(address);
    this.platform = address.platform;
    this.kind = address.kind;
    this.id = address.id;
    this.key = addressKey(address);
    this.chat = `${address.kind}:${address.id}`;
  }

  /** Whether this destination was made for `lanes` (by the outbox that owns them). */
  of(lanes: Lanes<Pending, SendingLane>): boolean {
    return this.lanes === lanes;
  }

  /** Its lane in the outbox that made it, found again when a sweep dropped the one it had. */
  laneNow(): SendingLane {
    this.lane = this.lane ? this.lanes.current(this.lane) : this.lanes.lane(this.key);
    return this.lane;
  }

  toJSON(): Address {
    return { platform: this.platform, kind: this.kind, id: this.id };
  }
}
