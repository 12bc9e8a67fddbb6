import { outranks, satisfiesTier, type Tier } from '../domain/tiers.js';
import { DirectoryError } from '../errors.js';
import { isSystem, type Actor, type User } from './User.js';

/**
 * The tier rules, in one place. Every directory change passes through these checks, whichever
 * command or tool asked for it.
 */

/** Nobody grants a tier above their own. */
export function assertMayGrant(actor: Actor, tier: Tier): void {
  if (isSystem(actor)) return;
  if (!satisfiesTier(actor.tier, tier)) {
    throw new DirectoryError('TIER_ABOVE_OWN', `You cannot grant ${tier}: it is above your own tier (${actor.tier})`, { key: 'directory.TIER_ABOVE_OWN', params: { tier, own: actor.tier } });
  }
}

/** Nobody changes a user at or above their own tier, except root. */
export function assertMayChange(actor: Actor, target: User): void {
  if (isSystem(actor) || actor.tier === 'root') return;
  if (!outranks(actor.tier, target.tier)) {
    const self = actor.name === target.name;
    const who = self ? 'yourself' : `${target.name} (${target.tier})`;
    throw new DirectoryError('TARGET_NOT_BELOW', `You cannot change ${who}: only users below your own tier (${actor.tier}) can be changed by you`, {
      key: self ? 'directory.TARGET_NOT_BELOW.self' : 'directory.TARGET_NOT_BELOW',
      params: { name: target.name, tier: target.tier, own: actor.tier },
    });
  }
}

/** The last root can never be removed or demoted. */
export function assertKeepsARoot(users: Iterable<User>, target: User, newTier: Tier | undefined): void {
  if (target.tier !== 'root' || newTier === 'root') return;
  let roots = 0;
  for (const user of users) if (user.tier === 'root') roots++;
  if (roots <= 1) {
    const what = newTier === undefined ? 'removed' : 'demoted';
    throw new DirectoryError('LAST_ROOT', `${target.name} is the last root and cannot be ${what}; make someone else root first`, {
      key: `directory.LAST_ROOT.${what}`,
      params: { name: target.name },
    });
  }
}
