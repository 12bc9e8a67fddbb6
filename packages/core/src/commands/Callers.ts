import type { InboundMessage } from '../domain/messages.js';
import { satisfiesTier } from '../domain/tiers.js';
import type { User } from '../users/User.js';
import type { UserDirectory } from '../users/UserDirectory.js';
import type { Caller } from './Command.js';
import { readerLocale, type Locale } from '../i18n/Locale.js';

/** How unknown senders are treated. */
export interface GuestPolicy {
  /** When false, unknown senders get no answer at all. @defaultValue false */
  readonly enabled: boolean;
  /** Commands a guest may run (only those whose minimum tier is `user`). @defaultValue ['help', 'whoami'] */
  readonly commands: readonly string[];
}

/**
 * Who sent a message, for the dispatcher: the user the directory knows by the sender's identity
 * (or, weaker, one of its alternates), and the {@link Caller} that commands and middleware see,
 * for users and for guests under the guest policy.
 */
export class Callers {
  /** Kept per user object: the directory replaces users, never changes one in place. */
  private readonly known = new WeakMap<User, Caller>();

  constructor(
    private readonly directory: UserDirectory,
    private readonly guests: GuestPolicy,
    private readonly defaultLocale: Locale,
  ) {}

  /** The language a user reads: their own choice, else the bridge's. */
  localeOf(user: User | undefined): Locale {
    return readerLocale(user, this.defaultLocale);
  }

  /** The user a message comes from, by its sender's identity, then by its alternates in order. */
  sender(message: InboundMessage): User | undefined {
    const user = this.directory.byIdentity(message.from);
    if (user || !message.alternates) return user;
    for (const identity of message.alternates) {
      const match = this.directory.byIdentity(identity);
      if (match) return match;
    }
    return undefined;
  }

  /** Whether senders the directory does not know are answered at all (as guests). */
  get guestsAdmitted(): boolean {
    return this.guests.enabled;
  }

  /** Whether middleware sees this sender: every known user; a guest only when guests are let in. */
  admits(user: User | undefined): boolean {
    return user !== undefined || this.guestsAdmitted;
  }

  of(user: User): Caller {
    let caller = this.known.get(user);
    if (!caller) {
      caller = { user, tier: user.tier, name: user.name, locale: this.localeOf(user), may: (c) => satisfiesTier(user.tier, c.minTier) };
      this.known.set(user, caller);
    }
    return caller;
  }

  /** A sender the directory does not know: may run the guest policy's commands of tier `user`. */
  guest(message: InboundMessage): Caller {
    const { commands } = this.guests;
    return { name: message.from.name ?? message.from.id, locale: this.defaultLocale, may: (c) => c.minTier === 'user' && c.guests !== false && commands.some((name) => name.toLowerCase() === c.name) };
  }
}
