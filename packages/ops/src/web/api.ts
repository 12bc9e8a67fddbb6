import type { IncomingMessage } from 'node:http';
import {
  DirectoryError,
  ServiceNames,
  formatDurationIn,
  parseDuration,
  readBody,
  readerLocale,
  tierRank,
  Tiers,
  type AuditEntry,
  type Context,
  type Tier,
  type User,
} from '@switchboard/core';
import type { Alert, AlertActionResult, RelayContext } from '@switchboard/relay';

/**
 * The relay's matcher helpers, imported when a silence is first shown or made: by then the relay
 * runs and is loaded, while a bridge without feeds never loads it for the console.
 */
const matchers = () => import('@switchboard/relay');
import { abilities, mayDo, type WebAction } from './access.js';
import type { WebSession } from './Sessions.js';

/** An API answer: status and JSON body. */
export interface ApiReply {
  readonly status: number;
  readonly body: unknown;
}

const ok = (body: unknown): ApiReply => ({ status: 200, body });
const fail = (status: number, error: string): ApiReply => ({ status, body: { error } });

/**
 * The web console's JSON API. Reads show what the session's user may see in chat (alerts and
 * devices through the routing rules); changes go through the same calls as the chat commands,
 * with the same tier checks (see {@link mayDo}) and directory rules, and each is appended to the
 * audit log with `via: 'web'`.
 */
export class WebApi {
  constructor(private readonly ctx: Context) {}

  private get relay(): RelayContext | undefined {
    return this.ctx.host.services.get(ServiceNames.relay) as RelayContext | undefined;
  }

  /** The user behind a session, or undefined when they are no longer in the directory. */
  userOf(session: WebSession): User | undefined {
    return this.ctx.host.directory.get(session.user);
  }

  session(session: WebSession, user: User): ApiReply {
    return ok({
      user: user.name,
      tier: user.tier,
      locale: readerLocale(user, this.ctx.host.locale),
      csrf: session.csrf,
      expiresAt: session.expiresAt,
      can: abilities(this.ctx.host.registry, user),
      relay: this.relay !== undefined,
    });
  }

  alerts(user: User): ApiReply {
    const relay = this.relay;
    if (!mayDo(this.ctx.host.registry, user, 'alerts') || !relay) return fail(403, 'You may not see alerts.');
    const visible = (a: Alert): boolean => relay.alerting.canSee(user, a);
    return ok({
      open: relay.alerts.open().filter(visible).map(alertView),
      closed: relay.alerts.closed().filter(visible).slice(0, 20).map(alertView),
    });
  }

  async silences(user: User): Promise<ApiReply> {
    const relay = this.relay;
    if (!mayDo(this.ctx.host.registry, user, 'silences') || !relay) return fail(403, 'You may not see silences.');
    const { formatMatchers, matchesAll } = await matchers();
    const devices = relay.states.list().filter((d) => relay.router.canSee(user, { ...d, event: false }));
    const silences = relay.silences
      .active()
      .filter((s) => s.createdBy === user.name || devices.some((d) => matchesAll(s.matchers, { ...d, event: false })))
      .map((s) => ({ id: s.id, matchers: formatMatchers(s.matchers), createdBy: s.createdBy, createdAt: s.createdAt, endsAt: s.endsAt, reason: s.reason }));
    return ok({ silences });
  }

  feeds(user: User): ApiReply {
    const relay = this.relay;
    const registry = this.ctx.host.registry;
    if (!relay || (!mayDo(registry, user, 'devices') && !mayDo(registry, user, 'feeds'))) return fail(403, 'You may not see feeds or devices.');
    const feeds = mayDo(registry, user, 'feeds') ? relay.sources.map((s) => ({ name: s.name, kind: s.kind, ...s.stats() })) : [];
    const devices = mayDo(registry, user, 'devices') ? relay.states.list().filter((d) => relay.router.canSee(user, { ...d, event: false })) : [];
    return ok({ feeds, devices, now: Date.now() });
  }

  users(user: User): ApiReply {
    if (!mayDo(this.ctx.host.registry, user, 'users')) return fail(403, 'You may not see the users.');
    const users = this.ctx.host.directory.list().map((u) => ({
      name: u.name,
      tier: u.tier,
      identities: u.identities.map((i) => `${i.platform}:${i.id}`),
      locale: u.locale,
      notify: u.notify,
    }));
    return ok({ users, tiers: Tiers });
  }

  deliveriesView(user: User): ApiReply {
    if (!mayDo(this.ctx.host.registry, user, 'deliveries')) return fail(403, 'You may not see deliveries.');
    const list = this.ctx.host.outbox.recent().map((d) => ({
      id: d.id,
      to: `${d.to.platform}:${d.to.kind}:${d.to.id}`,
      status: d.status,
      attempts: d.attempts,
      parts: d.parts,
      at: d.at,
      ...(d.reason !== undefined ? { reason: d.reason } : {}),
    }));
    return ok({ deliveries: list, pending: this.ctx.host.outbox.size });
  }

  async audit(user: User): Promise<ApiReply> {
    if (!mayDo(this.ctx.host.registry, user, 'audit')) return fail(403, 'You may not read the audit log.');
    const entries = await this.ctx.host.audit.latest({ limit: 50 });
    return ok({ entries: entries.reverse() });
  }

  /** `POST /api/alerts/:id/:act` with `{ duration }` for a snooze. */
  async alertAct(user: User, id: number, act: string, body: Record<string, unknown>): Promise<ApiReply> {
    const relay = this.relay;
    if (act !== 'ack' && act !== 'unack' && act !== 'resolve' && act !== 'snooze') return fail(404, `No such alert action "${act}".`);
    const args = act === 'snooze' ? [`#${id}`, String(body.duration ?? '')] : [`#${id}`];
    if (!relay) return fail(404, 'The relay is not running.');
    if (!(await this.allowed(user, act, args))) return fail(403, `Your tier (${user.tier}) may not ${act} alerts.`);
    let result: AlertActionResult;
    let ms = 0;
    if (act === 'snooze') {
      try {
        ms = parseDuration(String(body.duration ?? ''));
      } catch (error) {
        return this.refuse(user, act, args, 400, (error as Error).message, 'usage');
      }
      if (ms < 60_000 || ms > 7 * 86_400_000) return this.refuse(user, act, args, 400, 'A snooze lasts from 1 minute to 7 days.', 'usage');
      result = await relay.alerting.snooze(user, id, ms);
    } else {
      result = await relay.alerting[act](user, id);
    }
    if (!result.ok) return this.refuse(user, act, args, 409, result.reason, 'error');
    await this.record(user, act, args, 'ok');
    const locale = readerLocale(user, this.ctx.host.locale);
    const key = { ack: 'ops.web.acked', unack: 'ops.web.unacked', resolve: 'ops.web.resolved', snooze: 'ops.web.snoozed' }[act];
    // The others who were told hear it from the alerting; the one who acted hears it in chat too, where they are reached.
    const what = this.ctx.host.messages.t(locale, key, { id, duration: formatDurationIn(locale, ms) });
    await this.ctx.notify({ users: [user.name] }, this.ctx.host.messages.t(locale, 'ops.web.acted', { what })).catch(() => undefined);
    return ok({ alert: alertView(result.alert) });
  }

  /** `POST /api/silences` with `{ matchers: "device=x,severity=critical", duration: "2h", reason }`. */
  async silence(user: User, body: Record<string, unknown>): Promise<ApiReply> {
    const relay = this.relay;
    const matcherText = String(body.matchers ?? '').trim();
    const duration = String(body.duration ?? '').trim();
    const reason = String(body.reason ?? '').trim().slice(0, 200);
    const args = [matcherText, duration, ...(reason ? [reason] : [])];
    if (!relay) return fail(404, 'The relay is not running.');
    if (!(await this.allowed(user, 'silence', args))) return fail(403, `Your tier (${user.tier}) may not create silences.`);
    const { formatMatchers, parseMatchers } = await matchers();
    let parsed;
    try {
      parsed = parseMatchers(matcherText.split(/[\s,]+/).filter(Boolean));
      if (parsed.length === 0) throw new Error('Give at least one matcher, e.g. device=pump-1');
    } catch (error) {
      return this.refuse(user, 'silence', args, 400, (error as Error).message, 'usage');
    }
    let ms: number;
    try {
      ms = parseDuration(duration);
    } catch (error) {
      return this.refuse(user, 'silence', args, 400, (error as Error).message, 'usage');
    }
    if (ms < 1000 || ms > 30 * 86_400_000) return this.refuse(user, 'silence', args, 400, 'A silence lasts from 1 second to 30 days.', 'usage');
    const now = Date.now();
    const silence = await relay.silences.add({ matchers: parsed, createdBy: user.name, createdAt: now, endsAt: now + ms, reason });
    relay.alerting.schedule();
    await this.record(user, 'silence', args, 'ok');
    return ok({ silence: { id: silence.id, matchers: formatMatchers(silence.matchers), endsAt: silence.endsAt } });
  }

  async unsilence(user: User, id: number): Promise<ApiReply> {
    const relay = this.relay;
    const args = [String(id)];
    if (!relay) return fail(404, 'The relay is not running.');
    if (!(await this.allowed(user, 'unsilence', args))) return fail(403, `Your tier (${user.tier}) may not end silences.`);
    const removed = await relay.silences.remove(id);
    if (!removed) return this.refuse(user, 'unsilence', args, 404, `There is no silence #${id} in force.`, 'error');
    await relay.alerting.sweep();
    await this.record(user, 'unsilence', args, 'ok');
    return ok({ ended: id });
  }

  /** `POST /api/users/:name/tier` with `{ tier }`: a promote or a demote, by the same rules as in chat. */
  async setTier(user: User, name: string, body: Record<string, unknown>): Promise<ApiReply> {
    const { directory } = this.ctx.host;
    const tier = body.tier as Tier;
    if (!Tiers.includes(tier)) return fail(400, `"${String(body.tier)}" is not a tier (${Tiers.join(', ')}).`);
    const target = directory.get(name);
    if (!target) return fail(404, `There is no user "${name}".`);
    const act: WebAction = tierRank(tier) < tierRank(target.tier) ? 'promote' : 'demote';
    const args = [target.name, tier];
    if (!(await this.allowed(user, act, args))) return fail(403, `Your tier (${user.tier}) may not ${act} users.`);
    if (tier === target.tier) return ok({ user: { name: target.name, tier } });
    try {
      const changed = await directory.setTier(user, target.name, tier);
      await this.record(user, act, args, 'ok');
      return ok({ user: { name: changed.name, tier: changed.tier } });
    } catch (error) {
      if (!(error instanceof DirectoryError)) throw error;
      const locale = readerLocale(user, this.ctx.host.locale);
      const text = error.text ? this.ctx.host.messages.t(locale, error.text.key, error.text.params ?? {}) : error.message;
      return this.refuse(user, act, args, 403, text, 'refused');
    }
  }

  /** The chat command's tier check; a refusal is audited as it is in chat. */
  private async allowed(user: User, act: WebAction, args: readonly string[]): Promise<boolean> {
    if (mayDo(this.ctx.host.registry, user, act)) return true;
    await this.record(user, act, args, 'refused', 'tier');
    return false;
  }

  private async refuse(user: User, act: string, args: readonly string[], status: number, reason: string, outcome: string): Promise<ApiReply> {
    await this.record(user, act, args, outcome, reason);
    return fail(status, reason);
  }

  private record(user: User, command: string, args: readonly string[], outcome: string, detail?: string): Promise<void> {
    const entry: AuditEntry = {
      at: new Date().toISOString(),
      actor: user.name,
      tier: user.tier,
      command,
      args,
      outcome,
      via: 'web',
      ...(detail !== undefined ? { detail } : {}),
    };
    return this.ctx.host.audit.append(entry);
  }
}

/** What the page shows of an alert. */
function alertView(a: Alert): Record<string, unknown> {
  return {
    id: a.id,
    source: a.source,
    device: a.device,
    severity: a.severity,
    text: a.text,
    status: a.status,
    count: a.count,
    openedAt: a.openedAt,
    lastSeenAt: a.lastSeenAt,
    ackedBy: a.ackedBy,
    resolvedAt: a.resolvedAt,
    resolvedBy: a.resolvedBy,
    snoozedUntil: a.snoozedUntil,
  };
}

/** Read a JSON object body of at most 16 KiB. */
export async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown> | string> {
  const raw = await readBody(req, 16 * 1024);
  if (raw === 'too large') return 'The request body is over 16 KiB.';
  if (raw === 'aborted') return 'The request was cut off.';
  if (raw.length === 0) return {};
  try {
    const value: unknown = JSON.parse(raw.toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    return 'The body must be a JSON object.';
  } catch {
    return 'The body is not valid JSON.';
  }
}
