import { satisfiesTier, Tiers, type NotifyRoute, type Tier, type User, type UserDirectory, type Message } from '@switchboard/core';
import { globMatch } from '../mapping.js';
import { atLeast, deviceId, type Update } from '../Update.js';
import type { Route } from './Route.js';

/**
 * A user as the routing index holds them: one per user, made when the directory changes (which
 * replaces user objects rather than changing them), shared by every list the user is in.
 */
export interface Member {
  readonly user: User;
  readonly tier: Tier;
  /**
   * Where the notifier reaches this user, kept here with the notifier's generation it was worked
   * out in. Asked for every recipient of every change: a field of an object already in hand, where
   * a table lookup per recipient was a cache miss each (~5% of the relay benchmark).
   */
  reach: NotifyRoute | undefined;
  reachGeneration: number;
  /** The last {@link Router.recipients} call that took this member: each user hears once. */
  mark: number;
}

/** A user to notify and the rule that granted it. */
export interface Recipient {
  readonly user: User;
  readonly route: Route;
  readonly member: Member;
}

/**
 * Decides who may see an update and who is told, from the rules alone. Alertmanager's walk: rules
 * are tried in order and the first match wins, unless it says `continue`. A user receives an update
 * only through a matching rule — by being named, by tier, or by a subscription inside the rule's
 * `subscribers` tier — so a subscription can narrow what someone hears but never widen it.
 */
export class Router {
  private indexVersion = -1;
  private members = new Map<string, Member>();
  private subscribersByKey = new Map<string, Member[]>();
  private membersAtLeast = new Map<Tier, Member[]>();
  private version = 0;
  private calls = 0;

  constructor(
    private readonly routes: readonly Route[],
    private readonly directory: UserDirectory,
  ) {
    directory.changes$.subscribe(() => this.version++);
  }

  /** The rules in order (the built-in feed-down rule first). */
  list(): readonly Route[] {
    return this.routes;
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
    if (this.indexVersion !== this.version) this.reindex();
    // This runs for every state change, over every recipient. A member taken once is marked with
    // this call, so nobody hears twice without a set of names per call.
    const out: Recipient[] = [];
    const call = ++this.calls;
    const take = (members: readonly Member[], route: Route, tier: Tier | undefined): void => {
      for (const member of members) {
        if (member.mark === call) continue;
        if (tier !== undefined && !satisfiesTier(member.tier, tier)) continue;
        member.mark = call;
        out.push({ user: member.user, route, member });
      }
    };
    let subscribed: (readonly Member[])[] | undefined;
    for (const route of matched) {
      take(this.membersFor(route.notify), route, undefined);
      if (!route.subscribers) continue;
      subscribed ??= this.subscriberLists(update);
      for (const members of subscribed) take(members, route, route.subscribers);
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

  /**
   * Why following `target` would bring `user` nothing, judged on the devices seen so far that it
   * names (by device key, `source/key` or topic): the first rule matching them (first match wins)
   * does not let their tier hear subscribers, or no rule matches them at all. Undefined when it
   * would bring something, or when no device seen so far is named (then nobody can tell yet).
   */
  whyNothingArrives(user: User, target: string, known: readonly Pick<Update, 'source' | 'key' | 'topic'>[]): Message | undefined {
    const [maybeSource, maybeKey] = target.includes('/') ? target.split('/', 2) : [undefined, target];
    const named = known.filter((d) =>
      maybeSource !== undefined ? globMatch(maybeSource, d.source) && globMatch(maybeKey!, d.key) : globMatch(target, d.key) || globMatch(target, d.topic),
    );
    if (named.length === 0) return undefined;
    let blocking: Route | undefined;
    for (const device of named) {
      // The best case: a critical update, so that no severity minimum stands in the way.
      const update: Update = { source: device.source, key: device.key, topic: device.topic, severity: 'critical', state: '', text: '', at: 0, resolved: false };
      const matched = this.matching(update);
      if (matched.some((route) => route.subscribers !== undefined && satisfiesTier(user.tier, route.subscribers))) return undefined;
      blocking ??= matched[0];
    }
    if (!blocking) return { key: 'relay.why.noRule', params: { target } };
    const rule = blocking.name ? `"${blocking.name}"` : String(this.routes.indexOf(blocking) + 1);
    if (blocking.subscribers) return { key: 'relay.why.tierOnly', params: { rule, target, tier: blocking.subscribers } };
    return { key: 'relay.why.noFollowers', params: { rule, target } };
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
    for (const { user } of this.membersFor(target)) users.set(user.name, user);
    return [...users.values()];
  }

  /** The members a target names, as {@link usersFor} (one may appear twice: listed and by tier). */
  private membersFor(target: { readonly tier?: Tier | undefined; readonly users: readonly string[] }): readonly Member[] {
    if (this.indexVersion !== this.version) this.reindex();
    const byTier = target.tier ? (this.membersAtLeast.get(target.tier) ?? []) : [];
    if (target.users.length === 0) return byTier;
    const listed: Member[] = [];
    for (const name of target.users) {
      const user = this.directory.get(name);
      const member = user && this.members.get(user.name);
      if (member) listed.push(member);
    }
    return [...listed, ...byTier];
  }

  /** Who subscribed to the update's device (by key or `source/key`) or topic: lists that may overlap. */
  private subscriberLists(update: Update): (readonly Member[])[] {
    const lists: (readonly Member[])[] = [];
    for (const key of [update.key, deviceId(update), update.topic]) {
      const members = this.subscribersByKey.get(key.toLowerCase());
      if (members) lists.push(members);
    }
    return lists;
  }

  private reindex(): void {
    const users = this.directory.list();
    this.members = new Map(users.map((user) => [user.name, { user, tier: user.tier, reach: undefined, reachGeneration: -1, mark: 0 }]));
    const members = [...this.members.values()];
    this.membersAtLeast = new Map(Tiers.map((tier) => [tier, members.filter((m) => satisfiesTier(m.tier, tier))]));
    this.subscribersByKey = new Map();
    for (const member of members) {
      for (const subscription of member.user.subscriptions) {
        const key = subscription.toLowerCase();
        const list = this.subscribersByKey.get(key) ?? [];
        // Once per key, even if the user named it twice.
        if (list.at(-1) !== member) list.push(member);
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
