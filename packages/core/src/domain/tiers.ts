/**
 * Privilege tiers, most privileged first. A lower rank means more privilege:
 * `root` may do everything, `admin` manages users and devices, `user` reads and runs everyday commands.
 */
export const Tiers = ['root', 'admin', 'user'] as const;

/** One of {@link Tiers}. */
export type Tier = (typeof Tiers)[number];

const rank: Record<Tier, number> = { root: 0, admin: 1, user: 2 };

/** True when `value` names a tier. */
export function isTier(value: unknown): value is Tier {
  return typeof value === 'string' && Object.hasOwn(rank, value);
}

/** Numeric rank of a tier: 0 for root, growing as privilege shrinks. */
export function tierRank(tier: Tier): number {
  return rank[tier];
}

/** True when `tier` is at least as privileged as `required` (root satisfies everything). */
export function satisfiesTier(tier: Tier, required: Tier): boolean {
  return rank[tier] <= rank[required];
}

/** True when `a` is strictly more privileged than `b`. */
export function outranks(a: Tier, b: Tier): boolean {
  return rank[a] < rank[b];
}
