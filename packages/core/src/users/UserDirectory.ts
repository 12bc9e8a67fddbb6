import { Subject, type Observable } from 'rxjs';
import { identityKey, type Identity } from '../domain/address.js';
import { isTier, tierRank, type Tier } from '../domain/tiers.js';
import { DirectoryError } from '../errors.js';
import type { Store } from '../store/Store.js';
import { Mutex } from '../util/Mutex.js';
import { clip } from '../util/clip.js';
import { nameKey, NamePattern, NameRule, nameSkeleton, normalName } from './names.js';
import { assertKeepsARoot, assertMayChange, assertMayGrant } from './rules.js';
import { isSystem, type Actor, type DirectoryChange, type NewUser, type NotifyChoice, type User } from './User.js';
import type { Locale } from '../i18n/Locale.js';

/** Store key of the directory document. */
export const DirectoryKey = 'directory';

interface DirectoryDocument {
  readonly version: 1;
  readonly users: User[];
  /** Names removed at runtime, so config seeding does not bring them back at the next start. */
  readonly removed: string[];
}


/**
 * The user directory: who exists, at which tier, known by which identities.
 * Every change is checked against the tier rules, written to the store, and only then applied
 * in memory, acknowledged and emitted on {@link UserDirectory.changes$}.
 */
export class UserDirectory {
  private users = new Map<string, User>();
  private byIdentityKey = new Map<string, User>();
  private removed = new Set<string>();
  private readonly mutex = new Mutex();
  private readonly changesSubject = new Subject<DirectoryChange>();
  /** Platforms people wrote from, not written yet (see {@link noteSeen}). */
  private seenPending = new Map<string, string>();
  private seenFlush: Promise<void> | undefined;

  /** Directory changes, each emitted after it was persisted. */
  readonly changes$: Observable<DirectoryChange> = this.changesSubject.asObservable();

  constructor(private readonly store: Store) {}

  /** Read the persisted directory. */
  async load(): Promise<void> {
    const doc = await this.store.get<DirectoryDocument>(DirectoryKey);
    this.replace(doc?.users ?? [], doc?.removed ?? []);
  }

  /**
   * Add users from config that the directory has never seen (and that were not removed at runtime).
   * Users already present keep their persisted tier: runtime promotions survive restarts. Identities
   * newly listed in config for an existing user are added to them.
   * @returns the names added.
   */
  async seed(users: readonly NewUser[]): Promise<string[]> {
    return this.mutex.run(async () => {
      const next = new Map(this.users);
      const added: string[] = [];
      const changed: User[] = [];
      for (const spec of users) {
        const key = nameKey(spec.name);
        const existing = next.get(key);
        if (!existing) {
          if (this.removed.has(key)) continue;
          next.set(key, this.build(spec, next.values()));
          added.push(spec.name);
          continue;
        }
        const known = new Set(existing.identities.map(identityKey));
        const extra = (spec.identities ?? []).filter((i) => !known.has(identityKey(i)));
        if (extra.length > 0) {
          const user = { ...existing, identities: [...existing.identities, ...extra] };
          next.set(key, user);
          changed.push(user);
        }
      }
      if (added.length === 0 && changed.length === 0) return [];
      this.assertIdentitiesUnique(next.values());
      await this.commit(next, this.removed);
      for (const name of added) this.emit({ type: 'added', user: next.get(nameKey(name))!, by: 'config' });
      for (const user of changed) this.emit({ type: 'identities', user, by: 'config' });
      return added;
    });
  }

  /** Every user, most privileged first, then by name. */
  list(): User[] {
    return [...this.users.values()].sort((a, b) => tierRank(a.tier) - tierRank(b.tier) || a.name.localeCompare(b.name));
  }

  /** A user by name (case-insensitive). */
  get(name: string): User | undefined {
    return this.users.get(nameKey(name));
  }

  /** The user an identity belongs to. */
  byIdentity(identity: Identity): User | undefined {
    return this.byIdentityKey.get(identityKey(identity));
  }

  /** Number of users. */
  get size(): number {
    return this.users.size;
  }

  /** Add a user. The actor cannot grant a tier above their own. */
  add(actor: Actor, spec: NewUser): Promise<User> {
    return this.mutex.run(async () => {
      actor = this.asStored(actor);
      assertMayGrant(actor, spec.tier);
      if (this.users.has(nameKey(spec.name))) {
        throw new DirectoryError('USER_EXISTS', `a user named ${clip(spec.name)} already exists`, { key: 'directory.USER_EXISTS', params: { name: clip(spec.name) } });
      }
      const user = this.build(spec, this.users.values());
      const next = new Map(this.users).set(nameKey(user.name), user);
      this.assertIdentitiesUnique(next.values());
      const removed = new Set(this.removed);
      removed.delete(nameKey(user.name));
      await this.commit(next, removed);
      this.emit({ type: 'added', user, by: actorName(actor) });
      return user;
    });
  }

  /** Remove a user. The actor must outrank them (root excepted); the last root stays. */
  remove(actor: Actor, name: string): Promise<User> {
    return this.mutex.run(async () => {
      actor = this.asStored(actor);
      const target = this.require(name);
      assertMayChange(actor, target);
      assertKeepsARoot(this.users.values(), target, undefined);
      const next = new Map(this.users);
      next.delete(nameKey(target.name));
      await this.commit(next, new Set(this.removed).add(nameKey(target.name)));
      this.emit({ type: 'removed', user: target, by: actorName(actor) });
      return target;
    });
  }

  /** Change a user's tier (promote or demote). */
  setTier(actor: Actor, name: string, tier: Tier): Promise<User> {
    return this.mutex.run(async () => {
      if (!isTier(tier)) throw new DirectoryError('BAD_TIER', `"${String(tier)}" is not a tier (root, admin, user)`);
      actor = this.asStored(actor);
      const target = this.require(name);
      assertMayChange(actor, target);
      assertMayGrant(actor, tier);
      if (target.tier === tier) throw new DirectoryError('NO_CHANGE', `${target.name} is already ${tier}`, { key: 'directory.NO_CHANGE', params: { name: target.name, tier } });
      assertKeepsARoot(this.users.values(), target, tier);
      const user = { ...target, tier };
      await this.commit(new Map(this.users).set(nameKey(user.name), user), this.removed);
      this.emit({ type: 'tier', user, from: target.tier, by: actorName(actor) });
      return user;
    });
  }

  /** Give a user one more identity. */
  addIdentity(actor: Actor, name: string, identity: Identity): Promise<User> {
    return this.update(actor, name, 'identities', (user) => {
      const owner = this.byIdentity(identity);
      if (owner) throw new DirectoryError('IDENTITY_TAKEN', `${clip(identityKey(identity))} already belongs to ${owner.name}`, { key: 'directory.IDENTITY_TAKEN', params: { identity: clip(identityKey(identity)), owner: owner.name } });
      return { ...user, identities: [...user.identities, identity] };
    });
  }

  /** Replace a user's subscriptions. Users manage their own; others need to outrank them. */
  setSubscriptions(actor: Actor, name: string, subscriptions: readonly string[]): Promise<User> {
    return this.update(actor, name, 'subscriptions', (user) => ({ ...user, subscriptions: [...new Set(subscriptions)] }));
  }

  /** Mute a user's notifications until `until` (epoch ms), or unmute with `undefined`. */
  setMutedUntil(actor: Actor, name: string, until: number | undefined): Promise<User> {
    return this.update(actor, name, 'muted', (user) => {
      const { mutedUntil: _previous, ...rest } = user;
      return until === undefined ? rest : { ...rest, mutedUntil: until };
    });
  }

  /** Choose where a user's notifications go. Users choose their own; others need to outrank them. */
  setNotify(actor: Actor, name: string, choice: NotifyChoice): Promise<User> {
    return this.update(actor, name, 'notify', (user) => ({ ...user, notify: choice }));
  }

  /** Choose the language a user reads; undefined goes back to the bridge's. Users choose their own. */
  setLocale(actor: Actor, name: string, locale: Locale | undefined): Promise<User> {
    return this.update(actor, name, 'locale', (user) => {
      const { locale: _old, ...rest } = user;
      return locale === undefined ? rest : { ...rest, locale };
    });
  }

  /**
   * Note the platform a user just wrote from (for `notify last`). Written only when it differs from
   * the one noted before, so a person who stays on one platform costs no write per message; and
   * the notes that arrive while a write is under way are written together in the next one (a
   * directory of 10,000 people, all writing for the first time, is not rewritten 10,000 times).
   * Resolves once the note is persisted.
   */
  noteSeen(name: string, platform: string): Promise<void> {
    const current = this.get(name);
    if (!current || current.lastPlatform === platform) return Promise.resolve();
    this.seenPending.set(nameKey(current.name), platform);
    this.seenFlush ??= this.mutex.run(() => this.writeSeen());
    return this.seenFlush;
  }

  private async writeSeen(): Promise<void> {
    // Notes from now on go to the next write.
    this.seenFlush = undefined;
    const notes = this.seenPending;
    this.seenPending = new Map();
    const next = new Map(this.users);
    const changed: User[] = [];
    for (const [key, platform] of notes) {
      const user = next.get(key);
      if (!user || user.lastPlatform === platform) continue;
      const seen = { ...user, lastPlatform: platform };
      next.set(key, seen);
      changed.push(seen);
    }
    if (changed.length === 0) return;
    await this.commit(next, this.removed);
    for (const user of changed) this.emit({ type: 'seen', user, by: user.name });
  }

  /** Complete the change stream; used at shutdown. */
  close(): void {
    this.changesSubject.complete();
  }

  private update(
    actor: Actor,
    name: string,
    type: 'identities' | 'subscriptions' | 'muted' | 'notify' | 'locale',
    change: (user: User) => User,
  ): Promise<User> {
    return this.mutex.run(async () => {
      actor = this.asStored(actor);
      const target = this.require(name);
      // People manage their own subscriptions and mutes; changing someone else's needs the usual rule.
      if (isSystem(actor) || nameKey(actor.name) !== nameKey(target.name) || type === 'identities') {
        assertMayChange(actor, target);
      }
      const user = change(target);
      await this.commit(new Map(this.users).set(nameKey(user.name), user), this.removed);
      this.emit({ type, user, by: actorName(actor) });
      return user;
    });
  }

  /**
   * The actor as the directory holds them now, read inside the lock: a user's snapshot taken before
   * (when their command was received) may be out of date, and a demoted admin is not an admin any more.
   */
  private asStored(actor: Actor): Actor {
    if (isSystem(actor)) return actor;
    const current = this.users.get(nameKey(actor.name));
    if (!current) throw new DirectoryError('ACTOR_GONE', `${actor.name} is no longer in the user directory`, { key: 'directory.ACTOR_GONE', params: { name: actor.name } });
    return current;
  }

  private require(name: string): User {
    const user = this.users.get(nameKey(name));
    if (!user) throw new DirectoryError('NO_SUCH_USER', `there is no user named ${clip(name)}`, { key: 'directory.NO_SUCH_USER', params: { name: clip(name) } });
    return user;
  }

  private build(spec: NewUser, existing: Iterable<User>): User {
    const name = normalName(spec.name);
    if (!NamePattern.test(name)) {
      throw new DirectoryError('BAD_NAME', `"${clip(spec.name)}" is not a valid user name (${NameRule})`, { key: 'directory.BAD_NAME', params: { name: clip(spec.name) } });
    }
    const skeleton = nameSkeleton(name);
    for (const other of existing) {
      if (nameKey(other.name) !== nameKey(name) && nameSkeleton(other.name) === skeleton) {
        throw new DirectoryError('NAME_CONFUSABLE', `"${name}" looks too much like the existing user "${other.name}"; choose a name nobody can mistake for it`, { key: 'directory.NAME_CONFUSABLE', params: { name, other: other.name } });
      }
    }
    spec = { ...spec, name };
    if (!isTier(spec.tier)) throw new DirectoryError('BAD_TIER', `"${String(spec.tier)}" is not a tier (root, admin, user)`);
    return {
      name: spec.name,
      tier: spec.tier,
      identities: [...(spec.identities ?? [])],
      subscriptions: [...(spec.subscriptions ?? [])],
      createdAt: Date.now(),
    };
  }

  private assertIdentitiesUnique(users: Iterable<User>): void {
    const owners = new Map<string, string>();
    for (const user of users) {
      for (const identity of user.identities) {
        const key = identityKey(identity);
        const owner = owners.get(key);
        if (owner !== undefined && owner !== user.name) {
          throw new DirectoryError('IDENTITY_TAKEN', `${key} already belongs to ${owner}`, { key: 'directory.IDENTITY_TAKEN', params: { identity: key, owner } });
        }
        owners.set(key, user.name);
      }
    }
  }

  /** Persist first; only a successful write changes what callers see. */
  private async commit(next: Map<string, User>, removed: Set<string>): Promise<void> {
    const doc: DirectoryDocument = { version: 1, users: [...next.values()], removed: [...removed] };
    await this.store.put(DirectoryKey, doc);
    this.replace(doc.users, doc.removed);
  }

  private replace(users: readonly User[], removed: readonly string[]): void {
    this.users = new Map(users.map((u) => [nameKey(u.name), u]));
    this.byIdentityKey = new Map();
    for (const user of users) for (const identity of user.identities) this.byIdentityKey.set(identityKey(identity), user);
    this.removed = new Set(removed);
  }

  private emit(change: DirectoryChange): void {
    this.changesSubject.next(change);
  }
}

function actorName(actor: Actor): string {
  return isSystem(actor) ? actor.label : actor.name;
}
