import { satisfiesTier, type Tier } from '@switchboard/core';
import type { Route } from './Route.js';

/**
 * What in the rules will quietly do nothing: an escalation step whose people the rule does not let see its
 * alerts (the relay only tells people what they may see, so such a step pages nobody). `users` are the people
 * known up front (from config), by name and tier; a named person not among them is only reported when the rule
 * could not let any tier see the alert.
 */
export function routeWarnings(routes: readonly Route[], users: readonly { readonly name: string; readonly tier: Tier }[]): string[] {
  const warnings: string[] = [];
  const tierOf = new Map(users.map((u) => [u.name.toLowerCase(), u.tier]));
  routes.forEach((route, i) => {
    const label = `rule ${i + 1}${route.name ? ` (${route.name})` : ''}`;
    const tierSees = (tier: Tier): boolean =>
      (route.notify.tier !== undefined && satisfiesTier(tier, route.notify.tier)) || (route.subscribers !== undefined && satisfiesTier(tier, route.subscribers));
    const named = new Set(route.notify.users.map((n) => n.toLowerCase()));
    route.alert?.escalate.forEach((step, s) => {
      const blind: string[] = [];
      if (step.notify.tier !== undefined && !tierSees(step.notify.tier)) blind.push(`tier ${step.notify.tier}`);
      for (const name of step.notify.users) {
        const tier = tierOf.get(name.toLowerCase());
        if (named.has(name.toLowerCase()) || (tier !== undefined && tierSees(tier))) continue;
        if (tier !== undefined || (route.notify.tier === undefined && route.subscribers === undefined)) blind.push(name);
      }
      if (blind.length > 0) {
        warnings.push(
          `${label}: escalation step ${s + 1} can page nobody: the rule does not let ${blind.join(', ')} see its alerts ` +
            `(name them in notify.users, or set notify.tier or subscribers low enough)`,
        );
      }
    });
  });
  return warnings;
}
