import { satisfiesTier, Tiers, type Tier, type User, type UserDirectory } from '@switchboard/core';
import { globMatch } from '../mapping.js';
import { atLeast, deviceId, type Update } from '../Update.js';
import type { Route } from './Route.js';

/** A user to notify and the rule that granted it. */
export interface Recipient {
  readonly user: User;
  readonly route: Route;
}

/**
 * Decides who may see an update and who is told, from the rules alone. Alertmanager's walk: rules
 * are tried in order and the first match wins, unless it says `continue`. A user receives an update
 * only through a matching rule — by being named, by tier, or by a subscription inside the rule's
 * `subscribers` tier — so a subscription can narrow what someone hears but never widen it.
 */
export class Router {
  private indexVersion = -1;
  private subscribersByKey = new Map<string, User[]>();
  private usersAtLeast = new Map<Tier, User[]>();
  private version = 0;

  constructor(
    private readonly routes: readonly Route[],
    private readonly directory: UserDirectory,
  ) {
    directory.changes$.subscribe(() => this.version++);
  }

  /** A rule by its name. */
  byName(name: string): Route | undefined {
    return this.routes.find((r) => r.name === name);
  }

  /** The rules that apply to an update, in order. */
  matching(update: Update): Route[] {
    const matched: Route[] = [];
    for (const route of this.routes) {
      if (!matches(route, update)) continue;
      matched.push(route);
      if (!route.continue) break;
    }
    return matched;
  }

  /**
   * Everyone to tell about `update`, each once (the first granting rule decides the template). Mutes
   * are not applied here. Pass `matched` when the caller already walked the rules.
   */
  recipients(update: Update, matched: readonly Route[] = this.matching(update)): Recipient[] {
    // This runs for every state change, over every recipient. Each source list holds a user once, so
    // the set of names that keeps anyone from hearing twice is only needed from the second source on.
    const out: Recipient[] = [];
    let named: Set<string> | undefined;
    let sources = 0;
    const take = (users: readonly User[], route: Route, tier: Tier | undefined): void => {
      if (users.length === 0) return;
      if (sources++ === 1) named = new Set(out.map((r) => r.user.name));
      for (const user of users) {
        if (tier !== undefined && !satisfiesTier(user.tier, tier)) continue;
        if (named) {
          if (named.has(user.name)) continue;
          named.add(user.name);
        }
        out.push({ user, route });
      }
    };
    let subscribed: (readonly User[])[] | undefined;
    for (const route of matched) {
      take(this.usersFor(route.notify), route, undefined);
      if (!route.subscribers) continue;
      subscribed ??= this.subscriberLists(update);
      for (const users of subscribed) take(users, route, route.subscribers);
    }
    return out;
  }

  /** Whether `user` may see `update` at all (for `status`): some matching rule names them, or admits their tier. */
  canSee(user: User, update: Update): boolean {
    return this.matching(update).some(
      (route) =>
        route.notify.users.some((n) => n.toLowerCase() === user.name.toLowerCase()) ||
        (route.notify.tier !== undefined && satisfiesTier(user.tier, route.notify.tier)) ||
        (route.subscribers !== undefined && satisfiesTier(user.tier, route.subscribers)),
    );
  }

  /** Whether some rule would let `user` subscribe to `target` (a device key, `source/key`, or a topic). */
  maySubscribe(user: User, target: string): boolean {
    return this.routes.some((route) => {
      if (!route.subscribers || !satisfiesTier(user.tier, route.subscribers)) return false;
      const { device, topic, source } = route.match;
      const [maybeSource, maybeKey] = target.includes('/') ? target.split('/', 2) : [undefined, target];
      if (maybeSource !== undefined && source !== undefined && !globMatch(source, maybeSource)) return false;
      if (device === undefined && topic === undefined) return true;
      return (device !== undefined && globMatch(device, maybeKey!)) || (topic !== undefined && globMatch(topic, target));
    });
  }

  /** The users a target names: those listed, then everyone at or above its tier. */
  usersFor(target: { readonly tier?: Tier | undefined; readonly users: readonly string[] }): User[] {
    const users = new Map<string, User>();
    for (const name of target.users) {
      const user = this.directory.get(name);
      if (user) users.set(user.name, user);
    }
    if (target.tier) for (const user of this.atLeast(target.tier)) users.set(user.name, user);
    return [...users.values()];
  }

  private atLeast(tier: Tier): User[] {
    if (this.indexVersion !== this.version) this.reindex();
    return this.usersAtLeast.get(tier) ?? [];
  }

  /** Who subscribed to the update's device (by key or `source/key`) or topic: lists that may overlap. */
  private subscriberLists(update: Update): (readonly User[])[] {
    if (this.indexVersion !== this.version) this.reindex();
    const lists: (readonly User[])[] = [];
    for (const key of [update.key, deviceId(update), update.topic]) {
      const users = this.subscribersByKey.get(key.toLowerCase());
      if (users) lists.push(users);
    }
    return lists;
  }

  private reindex(): void {
    this.subscribersByKey = new Map();
    const users = this.directory.list();
    this.usersAtLeast = new Map(Tiers.map((tier) => [tier, users.filter((u) => satisfiesTier(u.tier, tier))]));
    for (const user of users) {
      for (const subscription of user.subscriptions) {
        const key = subscription.toLowerCase();
        const list = this.subscribersByKey.get(key) ?? [];
        // Once per key, even if the user named it twice: recipients() relies on it.
        if (list.at(-1) !== user) list.push(user);
        this.subscribersByKey.set(key, list);
      }
    }
    this.indexVersion = this.version;
  }
}

function matches(route: Route, update: Update): boolean {
  const m = route.match;
  // The severity first: a comparison, where the others test a pattern (this runs per rule per update).
  if (m.severity !== undefined && !atLeast(update.severity, m.severity)) return false;
  if (m.source !== undefined && !globMatch(m.source, update.source)) return false;
  if (m.topic !== undefined && !globMatch(m.topic, update.topic)) return false;
  if (m.device !== undefined && !globMatch(m.device, update.key)) return false;
  return true;
}
