import { Subject, type Observable } from 'rxjs';
import { errorInfo, silentLogger, type Address, type Identity, type InboundMessage, type Logger, type Store } from '@switchboard/core';
import { QqPlatform } from './decode.js';

/** How the bot has seen one id. */
interface Contact {
  /** A user_openid that wrote one-to-one, or added the bot as a friend: it has a C2C chat. */
  c2c?: true;
  /** A guild user with a DM session: the DM's guild id. */
  dm?: string;
  /** A member_openid: the group it last wrote in. */
  group?: string;
  /** The union_openid the platform sent with it. */
  union?: string;
  /** Epoch ms it was last seen (the least recently seen are forgotten first). */
  at: number;
}

interface ContactsDocument {
  readonly version: 1;
  readonly contacts: readonly (readonly [string, Contact])[];
}

/** Options of {@link Contacts}. */
export interface ContactsOptions {
  /** A member known only in a group is reached in that group. @defaultValue false */
  readonly groupFallback?: boolean;
  /** @defaultValue 100000 */
  readonly maxContacts?: number;
  readonly logger?: Logger;
  /** How long a change waits before it is written (changes in between are written together). @defaultValue 1000 */
  readonly saveDelayMs?: number;
}

/**
 * Where a QQ identity can be reached, learned from what the platform delivers. QQ names one person
 * differently in every scene: a `user_openid` in one-to-one chats, a per-group `member_openid` in
 * each group, a user id in guilds (and a guild DM session only once they wrote there), with a
 * `union_openid` that links them when the platform sends it. So:
 * - a `user_openid` (or anything linked to one by union id) is reached in its C2C chat (`user`);
 * - a guild user with a DM session is reached in that DM (`dm`), otherwise not at all;
 * - a member known only in a group has no chat of its own: its group when `groupFallback`, else nothing;
 * - an id never seen is taken for a `user_openid`, as the README tells people to write theirs.
 * What is learned is kept in the store, so a restart still knows it.
 */
export class Contacts {
  private readonly contacts = new Map<string, Contact>();
  /** union_openid → the user_openid with a C2C chat. */
  private readonly unions = new Map<string, string>();
  private readonly changesSubject = new Subject<Identity>();
  private readonly logger: Logger;
  private store: Store | undefined;
  private key = '';
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;

  /** Identities whose address may have changed. */
  readonly changes$: Observable<Identity> = this.changesSubject.asObservable();

  constructor(private readonly options: ContactsOptions = {}) {
    this.logger = options.logger ?? silentLogger;
  }

  get size(): number {
    return this.contacts.size;
  }

  /** Read what was learned before (documents under `key` in `store`), and keep writing there. */
  async load(store: Store, key: string): Promise<void> {
    this.store = store;
    this.key = key;
    const doc = await store.get<ContactsDocument>(key);
    for (const [id, contact] of doc?.contacts ?? []) {
      this.contacts.set(id, { ...contact });
      if (contact.c2c && contact.union) this.unions.set(contact.union, id);
    }
  }

  /** Learn from a message the platform delivered. */
  learnMessage(message: InboundMessage): void {
    const id = message.from.id;
    const union = message.alternates?.find((a) => a.id.startsWith('union:'))?.id.slice('union:'.length);
    switch (message.chat.kind) {
      case 'user':
        this.learn(id, { c2c: true }, union);
        break;
      case 'group':
        this.learn(id, { group: message.chat.id }, union);
        break;
      case 'dm':
        this.learn(id, { dm: message.chat.id }, union);
        break;
      case 'channel':
        this.learn(id, {}, union);
        break;
    }
  }

  /** Learn from a window event: a friend-add (or C2C message permission) opens that user's chat. */
  learnWindow(address: Address): void {
    if (address.kind === 'user') this.learn(address.id, { c2c: true }, undefined);
  }

  /** Where `identity` is reached, or undefined when it has no chat the bot may write to. */
  addressFor(identity: Identity): Address | undefined {
    if (identity.platform !== QqPlatform) return undefined;
    const { id } = identity;
    if (id.startsWith('union:')) {
      const union = id.slice('union:'.length);
      const openid = this.unions.get(union);
      if (openid) return user(openid);
      for (const [other, contact] of this.contacts) if (contact.union === union) return this.reach(other, contact);
      return undefined;
    }
    const contact = this.contacts.get(id);
    return contact ? this.reach(id, contact) : user(id);
  }

  private reach(id: string, contact: Contact): Address | undefined {
    if (contact.c2c) return user(id);
    const linked = contact.union ? this.unions.get(contact.union) : undefined;
    if (linked) return user(linked);
    if (contact.dm) return { platform: QqPlatform, kind: 'dm', id: contact.dm };
    if (contact.group && this.options.groupFallback) return { platform: QqPlatform, kind: 'group', id: contact.group };
    return undefined;
  }

  /** Write what is not written yet. */
  async flush(): Promise<void> {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (this.dirty) this.save();
    await this.saving;
  }

  close(): void {
    clearTimeout(this.saveTimer);
    this.changesSubject.complete();
  }

  private learn(id: string, seen: Partial<Contact>, union: string | undefined): void {
    const now = Date.now();
    const known = this.contacts.get(id);
    const next: Contact = { ...known, ...seen, at: now };
    if (union) next.union = union;
    const changed =
      !known || known.c2c !== next.c2c || known.dm !== next.dm || known.group !== next.group || known.union !== next.union;
    // Re-inserted so the map's order is least recently seen first.
    this.contacts.delete(id);
    this.contacts.set(id, next);
    if (!changed) return;
    if (next.c2c && next.union && this.unions.get(next.union) !== id) {
      this.unions.set(next.union, id);
      this.changesSubject.next({ platform: QqPlatform, id: `union:${next.union}` });
    }
    this.changesSubject.next({ platform: QqPlatform, id });
    this.evict();
    this.dirty = true;
    this.scheduleSave();
  }

  private evict(): void {
    const max = this.options.maxContacts ?? 100_000;
    if (this.contacts.size <= max) return;
    for (const [id, contact] of this.contacts) {
      if (this.contacts.size <= max) break;
      this.contacts.delete(id);
      if (contact.union && this.unions.get(contact.union) === id) this.unions.delete(contact.union);
    }
  }

  private scheduleSave(): void {
    if (!this.store || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.save();
    }, this.options.saveDelayMs ?? 1000);
    this.saveTimer.unref?.();
  }

  private save(): void {
    const store = this.store;
    if (!store) return;
    this.dirty = false;
    const doc: ContactsDocument = { version: 1, contacts: [...this.contacts] };
    this.saving = this.saving
      .then(() => store.put(this.key, doc))
      .catch((error: unknown) => {
        this.dirty = true;
        this.logger.error(errorInfo(error), 'could not save what the QQ adapter learned about contacts');
      });
  }
}

function user(openid: string): Address {
  return { platform: QqPlatform, kind: 'user', id: openid };
}
