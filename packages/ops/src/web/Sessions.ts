import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A signed-in web console: whose it is and the token its changes must carry. */
export interface WebSession {
  readonly id: string;
  /** The directory user it acts as; their tier is looked up on every request. */
  readonly user: string;
  /** Sent back in `x-csrf-token` with every change. */
  readonly csrf: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** Options of {@link Sessions}. */
export interface SessionsOptions {
  readonly loginTtlMs: number;
  readonly sessionTtlMs: number;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

/** Logins waiting to be used, and sessions, each capped so that a flood cannot grow memory without bound. */
const MaxPending = 1000;
const MaxSessions = 5000;

const token = (): string => randomBytes(32).toString('base64url');
const digest = (value: string): string => createHash('sha256').update(value).digest('base64url');

/**
 * One-time login links and the sessions they open, in memory: a restart signs everyone out, and
 * a link is good once, for `loginTtlMs`. Only digests of links and session ids are kept as keys,
 * so neither can be read back out of a heap dump of this map.
 */
export class Sessions {
  private readonly pending = new Map<string, { user: string; expiresAt: number }>();
  private readonly sessions = new Map<string, WebSession>();
  private readonly now: () => number;

  constructor(private readonly options: SessionsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A fresh one-time login token for `user`; a newer one leaves older ones valid until they expire. */
  issue(user: string): { token: string; expiresAt: number } {
    this.prune();
    if (this.pending.size >= MaxPending) this.pending.delete(this.pending.keys().next().value!);
    const value = token();
    const expiresAt = this.now() + this.options.loginTtlMs;
    this.pending.set(digest(value), { user, expiresAt });
    return { token: value, expiresAt };
  }

  /** Use a login token: a session when it is known and not expired (it is then spent), else undefined. */
  redeem(loginToken: string): WebSession | undefined {
    if (typeof loginToken !== 'string' || loginToken.length < 20 || loginToken.length > 100) return undefined;
    const key = digest(loginToken);
    const entry = this.pending.get(key);
    if (!entry) return undefined;
    this.pending.delete(key);
    const now = this.now();
    if (entry.expiresAt <= now) return undefined;
    this.prune();
    if (this.sessions.size >= MaxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    const id = token();
    const session: WebSession = { id, user: entry.user, csrf: token(), createdAt: now, expiresAt: now + this.options.sessionTtlMs };
    this.sessions.set(digest(id), session);
    return session;
  }

  /** The live session a cookie value names, if any. */
  get(id: string | undefined): WebSession | undefined {
    if (!id || id.length > 100) return undefined;
    const key = digest(id);
    const session = this.sessions.get(key);
    if (!session) return undefined;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return session;
  }

  /** Whether `given` is the session's CSRF token (compared in constant time). */
  static csrfMatches(session: WebSession, given: string | undefined): boolean {
    if (typeof given !== 'string') return false;
    const a = Buffer.from(session.csrf);
    const b = Buffer.from(given);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Sign out. */
  end(id: string): void {
    this.sessions.delete(digest(id));
  }

  /** Sign out every session of a user (removed from the directory). */
  endAllOf(user: string): void {
    for (const [key, session] of this.sessions) if (session.user.toLowerCase() === user.toLowerCase()) this.sessions.delete(key);
  }

  get size(): number {
    return this.sessions.size;
  }

  private prune(): void {
    const now = this.now();
    for (const [key, entry] of this.pending) if (entry.expiresAt <= now) this.pending.delete(key);
    for (const [key, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(key);
  }
}
