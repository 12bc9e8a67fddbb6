// The alert lifecycle against a reference model. Random interleavings of problems, recoveries (one at a time, or
// two of a device in one frame), time passing, snoozes, resolves by hand, the feed dropping and coming back, quiet hours,
// acknowledgements, silences and restarts run on a fake clock, on the real relay, and on a model of a few
// hundred lines that says who must be paged about what, and when. After every step both must agree on each
// message (who, which alert, what kind) that went out during it. Every seed runs 10,000 steps.
//
// SEEDS=20 STEPS=50000 SEED_BASE=5000 npx vitest run packages/relay/test/alerts/model.test.ts   for a longer search.
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '@switchboard/core';
import { MemoryAdapter } from '@switchboard/core/testing';
import { RelaySections, inQuietHours, quietEnd, type QuietWindow } from '@switchboard/relay';
import { ManualSource } from '@switchboard/relay/testing';
import { alertBridge, running, settle, useFakeClock } from '../fixtures/alerting.js';

const GroupWait = 30_000;
const RepeatInterval = 20 * 60_000;
const Steps = [10 * 60_000, 15 * 60_000];
const routes = RelaySections.routes.parse([
  {
    name: 'heat',
    match: { topic: 'temperature' },
    notify: { users: ['uma'] },
    subscribers: 'user',
    alert: {
      severity: 'warning',
      groupWait: `${GroupWait}ms`,
      repeatInterval: `${RepeatInterval}ms`,
      escalate: [
        { after: `${Steps[0]}ms`, notify: { tier: 'admin' } },
        { after: `${Steps[1]}ms`, notify: { tier: 'root' } },
      ],
    },
  },
]);
const Devices = ['d1', 'd2', 'd3'];
/** Who each escalation step names (tier admin: root1 and ada; tier root: root1), in the directory's order. */
const StepTargets = [['root1', 'ada'], ['root1']];
/**
 * The feed is taken for down after this long disconnected; its alert reminds admins at the default 4h. Every
 * other time in the test is a whole multiple of 100 ms and this one is not, so the feed going down never falls
 * on the same millisecond as an escalation pass (which of two timers due together runs first is not a
 * property of the relay).
 */
const DownAfter = 2 * 60_000 + 50;
const FeedRepeat = 4 * 60 * 60_000;
const Admins = ['root1', 'ada'];

// ---------------------------------------------------------------------------------------------------------
// The model.

interface ModelAlert {
  id: number;
  device: string;
  /** The relay's own alert about the feed being down (pages admins at once, reminds every 4h, no steps). */
  feed?: boolean;
  status: 'firing' | 'acknowledged' | 'resolved';
  paged: boolean;
  pendingUntil?: number;
  nextAt?: number;
  remindAt?: number;
  step: number;
  notified: Set<string>;
  snoozedUntil?: number;
  /** A resolve waiting for its group's others, to be told then. */
  resolveDue?: number;
}

/** An alert acknowledged or resolved: nothing of its schedule is left (the relay's withoutSchedule). */
function endSchedule(alert: ModelAlert, status: 'acknowledged' | 'resolved'): void {
  alert.status = status;
  delete alert.nextAt;
  delete alert.remindAt;
  delete alert.pendingUntil;
}

class Model {
  readonly alerts: ModelAlert[] = [];
  private nextId = 1;
  /** Each device's last state, as the relay's device states keep it: news is a change. */
  private readonly states = new Map<string, 'hot' | 'ok'>();
  readonly silences: { id: number; device: string; endsAt: number }[] = [];
  private silenceIds = 0;
  /** Events since the last take(): "user kind #id". */
  private events: string[] = [];
  /** The feed of every device: up, disconnected (down after DownAfter), or down (its devices' alerts held). */
  feed: 'up' | 'dropping' | 'down' = 'up';
  private downAt: number | undefined;
  /** The feed's own state as the relay's device states keep it (news is a change). */
  private feedState: 'up' | 'down' | undefined;
  /** uma's quiet hours (times here are ms since the start; `clock` turns them into dates). */
  quiet: QuietWindow | undefined;
  /** What was held for uma's digest, and when the relay's digest timer fires. */
  private heldForDigest: string[] = [];
  private digestAt: number | undefined;

  constructor(private readonly clock: number) {}

  private inQuiet(at: number): boolean {
    return this.quiet !== undefined && inQuietHours(this.quiet, this.clock + at);
  }

  /** The relay's scheduleDigests: due now unless uma is in her quiet hours, then at their end. */
  scheduleDigest(now: number): void {
    if (this.heldForDigest.length === 0) {
      this.digestAt = undefined;
      return;
    }
    this.digestAt = this.inQuiet(now) ? quietEnd(this.quiet!, this.clock + now) - this.clock : now;
  }

  private sendDigest(now: number): void {
    this.digestAt = undefined;
    if (this.heldForDigest.length > 0 && !this.inQuiet(now)) {
      for (const e of this.heldForDigest) this.events.push(`${e} @${now}`);
      this.heldForDigest = [];
    }
    this.scheduleDigest(now);
  }

  open(device: string): ModelAlert | undefined {
    return this.alerts.find((a) => a.device === device && a.status !== 'resolved');
  }

  private held(a: Pick<ModelAlert, 'device' | 'snoozedUntil' | 'feed'>, now: number): boolean {
    if (a.snoozedUntil !== undefined && a.snoozedUntil > now) return true;
    if (a.feed) return false;
    return this.feed === 'down' || this.silences.some((s) => s.device === a.device && s.endsAt > now);
  }

  private feedAlert(): ModelAlert | undefined {
    return this.alerts.find((a) => a.feed && a.status !== 'resolved');
  }

  feedDrop(now: number): void {
    if (this.feed !== 'up') return;
    this.feed = 'dropping';
    this.downAt = now + DownAfter;
  }

  /** The feed is connected (again). `restarted`: a new bridge, which knows it was down only by an open alert. */
  feedBack(now: number, restarted = false): void {
    const was = this.feed;
    this.feed = 'up';
    this.downAt = undefined;
    const open = this.feedAlert();
    if (restarted ? !open : was !== 'down') return;
    const previous = this.feedState;
    this.feedState = 'up';
    if (open) {
      open.status = 'resolved';
      delete open.remindAt;
      this.tell(open.notified, 'resolved', open.id);
    } else if (previous === 'down') {
      this.tell(Admins, 'back', 0);
    }
    this.pass(now);
  }

  private goDown(now: number): void {
    this.feed = 'down';
    this.downAt = undefined;
    const previous = this.feedState;
    this.feedState = 'down';
    if (this.feedAlert() || previous === 'down') return; // a repeat, or not news
    const alert: ModelAlert = { id: this.nextId++, device: 'lab', feed: true, status: 'firing', paged: true, step: 0, notified: new Set(Admins), remindAt: now + FeedRepeat };
    this.alerts.push(alert);
    this.at = now;
    this.tell(Admins, 'page', alert.id);
  }

  /** The time events are stamped with: the op's time, or the pass's. */
  private at = 0;

  private tell(names: Iterable<string>, kind: string, id: number, except?: string): void {
    let held = false;
    for (const n of names) {
      if (n === except) continue;
      if (n === 'uma' && this.inQuiet(this.at)) {
        // Held for her digest; a reminder is dropped (the digest carries the page it repeats).
        if (kind !== 'remind') {
          this.heldForDigest.push(`${n} ${kind} #${id}`);
          held = true;
        }
        continue;
      }
      this.events.push(`${n} ${kind} #${id} @${this.at}`);
    }
    if (held) this.scheduleDigest(this.at);
  }

  /** Set the time of what the next op sends. */
  now(at: number): this {
    this.at = at;
    return this;
  }

  problem(device: string, now: number): void {
    const previous = this.states.get(device);
    this.states.set(device, 'hot');
    if (this.open(device)) return; // a repeat: counted, nothing sent
    if (previous === 'hot') return; // not news (its alert was resolved by hand): no new alert
    const held = this.held({ device }, now);
    const joining = this.alerts.find((a) => a.status !== 'resolved' && a.pendingUntil !== undefined && a.pendingUntil > now);
    const alert: ModelAlert = { id: this.nextId++, device, status: 'firing', paged: false, step: 0, notified: new Set() };
    if (!held) alert.pendingUntil = joining?.pendingUntil ?? now + GroupWait;
    this.alerts.push(alert);
  }

  ok(device: string, now: number): void {
    const previous = this.states.get(device);
    this.states.set(device, 'ok');
    const alert = this.open(device);
    if (!alert) {
      // Back to normal without an open alert (it was resolved by hand): the rule's plain resolve message.
      if (previous === 'hot') this.tell(['uma'], 'back', 0);
      return;
    }
    endSchedule(alert, 'resolved');
    // Resolves of the group are gathered for the group wait, like its pages (none to tell: told at once, i.e. never).
    if (alert.notified.size === 0) return;
    const joining = this.alerts.find((a) => a.resolveDue !== undefined && a.resolveDue > now);
    alert.resolveDue = joining?.resolveDue ?? now + GroupWait;
  }

  resolveByHand(alert: ModelAlert, who: string): void {
    endSchedule(alert, 'resolved');
    this.tell(alert.notified, 'resolved', alert.id, who);
  }

  snooze(alert: ModelAlert, who: string, ms: number, now: number): void {
    alert.snoozedUntil = now + ms;
    this.tell(alert.notified, 'snoozed', alert.id, who);
  }

  ack(alert: ModelAlert, who: string): void {
    endSchedule(alert, 'acknowledged');
    this.tell(alert.notified, 'acked', alert.id, who);
    alert.notified.add(who);
  }

  unack(alert: ModelAlert, who: string, now: number): void {
    alert.status = 'firing';
    if (alert.step < Steps.length) alert.nextAt = now + Steps[alert.step]!;
    alert.remindAt = now + RepeatInterval;
    this.tell(alert.notified, 'unacked', alert.id, who);
  }

  silence(device: string, ms: number, now: number): number {
    const id = ++this.silenceIds;
    this.silences.push({ id, device, endsAt: now + ms });
    return id;
  }

  /** End the newest silence of a device still in force; the relay then sweeps at once. */
  unsilence(device: string, now: number): number | undefined {
    const s = this.silences.filter((x) => x.device === device && x.endsAt > now).at(-1);
    if (!s) return undefined;
    this.silences.splice(this.silences.indexOf(s), 1);
    this.pass(now);
    return s.id;
  }

  /** The earliest time in (from, to] at which the relay's timer runs a pass. */
  private nextPass(from: number, to: number): number | undefined {
    let next = Infinity;
    for (const a of this.alerts) {
      if (a.status !== 'firing') continue;
      if (a.snoozedUntil !== undefined && a.snoozedUntil > from) {
        next = Math.min(next, a.snoozedUntil);
        continue;
      }
      if (this.held(a, from)) continue;
      for (const t of [a.pendingUntil, a.nextAt, a.remindAt]) if (t !== undefined) next = Math.min(next, t);
    }
    for (const a of this.alerts) if (a.resolveDue !== undefined) next = Math.min(next, a.resolveDue);
    for (const s of this.silences) if (s.endsAt > from) next = Math.min(next, s.endsAt);
    return next <= to ? Math.max(next, from) : undefined;
  }

  advance(from: number, to: number): void {
    let now = from;
    for (;;) {
      // The next of three timers: an escalation pass, the feed taken for down, the digest.
      const at = this.nextPass(now, to);
      const down = this.downAt !== undefined && this.downAt <= to ? this.downAt : undefined;
      const digest = this.digestAt !== undefined && this.digestAt <= to ? Math.max(now, this.digestAt) : undefined;
      if (down !== undefined && (at === undefined || down < at) && (digest === undefined || down < digest)) {
        now = down;
        this.goDown(down);
        continue;
      }
      if (digest !== undefined && (at === undefined || digest < at)) {
        now = digest;
        this.sendDigest(now);
        continue;
      }
      if (at === undefined) return;
      this.pass(at);
      // Nothing left due at `at` after a pass; move past it.
      now = at;
      if (this.nextPass(now, to) === at) throw new Error(`model: still due at ${at} after a pass`);
    }
  }

  /** One escalation pass at `now`: first pages (one message per person for all theirs), reminders, steps. */
  private pass(now: number): void {
    this.at = now;
    for (const a of this.alerts) {
      if (a.resolveDue === undefined || a.resolveDue > now) continue;
      delete a.resolveDue;
      this.tell(a.notified, 'resolved', a.id);
    }
    const due = this.alerts.filter((a) => a.status === 'firing' && !a.paged && !(a.pendingUntil !== undefined && a.pendingUntil > now) && !this.held(a, now));
    for (const a of due) {
      a.paged = true;
      delete a.pendingUntil;
      a.notified = new Set(['uma']);
      a.remindAt = now + RepeatInterval;
      a.nextAt = now + Steps[0]!;
      this.tell(['uma'], 'page', a.id);
    }
    for (const a of this.alerts) {
      if (a.status !== 'firing' || a.remindAt === undefined || a.remindAt > now || this.held(a, now)) continue;
      a.remindAt = now + (a.feed ? FeedRepeat : RepeatInterval);
      this.tell(a.notified, 'remind', a.id);
    }
    for (const a of this.alerts) {
      if (a.status !== 'firing' || a.nextAt === undefined || a.nextAt > now || this.held(a, now)) continue;
      const targets = StepTargets[a.step % Steps.length]!;
      for (const t of targets) a.notified.add(t);
      a.step++;
      if (a.step < Steps.length) a.nextAt = now + Steps[a.step]!;
      else delete a.nextAt;
      this.tell(targets, 'escalate', a.id);
    }
  }

  take(): string[] {
    const out = this.events.sort();
    this.events = [];
    return out;
  }
}

// ---------------------------------------------------------------------------------------------------------
// What the relay sent, as the same events.

function eventsOf(user: string, text: string): string[] {
  const digest = /^While you were in quiet hours \(\d+\):\n• /.exec(text);
  if (digest) return text.slice(digest[0].length).split('\n• ').flatMap((item) => eventsOf(user, item));
  const group = /^⚠️ \d+ new alerts:\n/.exec(text);
  if (group) return [...text.matchAll(/^#(\d+) /gm)].map((m) => `${user} page #${m[1]}`);
  if (/^✅ \d+ alerts resolved:\n/.test(text)) return [...text.matchAll(/^#(\d+) /gm)].map((m) => `${user} resolved #${m[1]}`);
  const kinds: [RegExp, string][] = [
    [/^(?:⚠️|❗|🔥|ℹ️) #(\d+) /, 'page'],
    [/^⏫ #(\d+) /, 'escalate'],
    [/^🔁 #(\d+) /, 'remind'],
    [/^✅ #(\d+) resolved/, 'resolved'],
    [/^👍 #(\d+) /, 'acked'],
    [/^↩️ #(\d+) /, 'unacked'],
    [/^😴 #(\d+) /, 'snoozed'],
    [/^✅ (?!#)/, 'back'],
  ];
  for (const [re, kind] of kinds) {
    const m = re.exec(text);
    if (m) return [`${user} ${kind} #${m[1] ?? 0}`];
  }
  return [];
}

/** A small seeded PRNG (mulberry32), so a failing seed can be run again. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

useFakeClock();

const seeds = Number(process.env.SEEDS ?? 3);
const steps = Number(process.env.STEPS ?? 10_000);
const seedBase = Number(process.env.SEED_BASE ?? 1000);

describe('alert lifecycle against a reference model', () => {
  it.each(Array.from({ length: seeds }, (_, i) => seedBase + i))(
    'seed %i: the same pages to the same people at the same step, none twice, none lost across restarts',
    async (seed) => {
      const rand = random(seed);
      const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
      const store = new MemoryStore();
      const model = new Model(Date.now());
      const t0 = Date.now();
      /** What the relay delivered since the last look, stamped with the (fake) time it was delivered at. */
      let delivered: string[] = [];
      let feed!: ManualSource;
      const start = async () => {
        // Watched from before the start: a restart may deliver at once (the feed found back, what was due).
        const adapter = new MemoryAdapter({ limits: { maxTextLength: 1_000_000, sendRatePerSecond: Infinity } });
        adapter.delivered$.subscribe((r) => {
          for (const e of eventsOf(r.to.id, r.text)) delivered.push(`${e} @${Date.now() - t0}`);
        });
        // Flap damping is off: it has its own test, and the model would have to copy it.
        const b = await alertBridge(routes, {
          adapter,
          store,
          relay: { flap: false, sourceDownAfter: `${DownAfter}ms`, maxText: 20_000 },
          feeds: RelaySections.feeds.parse([{ name: 'lab', type: 'websocket', url: 'ws://127.0.0.1:1' }]),
          createSource: (f: { name: string }) => (feed = new ManualSource(f.name)),
          bridge: { limits: { userRate: 0 } },
        });
        return b;
      };
      let bridge = await start();
      const history: string[] = [];
      const observe = (): string[] => {
        const out = delivered.sort();
        delivered = [];
        return out;
      };
      // Command answers are not events (none starts like a page), so they need no skipping. The answer is
      // looked for among what arrived, since a sweep may send pages right behind it.
      const say = async (who: string, text: string): Promise<string> => {
        const before = bridge.inbox(who).length;
        bridge.adapter.inject({ from: who, text });
        for (let i = 0; i < 20 && bridge.inbox(who).length === before; i++) await settle();
        await settle();
        return bridge.inbox(who)[before] ?? '(no answer)';
      };
      /** First pages per person and alert over the whole run: never more than one. */
      const firstPages = new Map<string, number>();
      const count = (events: readonly string[]) => {
        for (const e of events) if (e.includes(' page #')) firstPages.set(e, (firstPages.get(e) ?? 0) + 1);
      };

      for (let step = 0; step < steps; step++) {
        const r = rand();
        const now = Date.now();
        model.now(now - t0);
        let op: string;
        if (r < 0.22) {
          const device = pick(Devices);
          op = `problem ${device}`;
          model.problem(device, now - t0);
          await bridge.feed({ key: device, state: 'hot', text: `${device} hot` });
        } else if (r < 0.36) {
          const device = pick(Devices);
          op = `ok ${device}`;
          model.ok(device, now - t0);
          await bridge.feed({ key: device, state: 'ok', severity: 'info', resolved: true, text: `${device} ok` });
        } else if (r < 0.44) {
          const alert = model.alerts.filter((a) => !a.feed && a.status === 'firing' && a.paged).at(-1);
          const who = pick(['uma', 'ada', 'root1']);
          op = alert ? `ack #${alert.id} by ${who}` : 'ack (none)';
          if (alert) {
            model.ack(alert, who);
            expect(await say(who, `ack #${alert.id}`)).toBe(`You acknowledged #${alert.id}.`);
          }
        } else if (r < 0.48) {
          const alert = model.alerts.filter((a) => !a.feed && a.status === 'acknowledged').at(-1);
          const who = pick(['uma', 'ada']);
          op = alert ? `unack #${alert.id} by ${who}` : 'unack (none)';
          if (alert) {
            model.unack(alert, who, now - t0);
            expect(await say(who, `unack #${alert.id}`)).toBe(`#${alert.id} is unacknowledged again.`);
          }
        } else if (r < 0.52) {
          const device = pick(Devices);
          const minutes = 1 + Math.floor(rand() * 40);
          op = `silence ${device} ${minutes}m`;
          const id = model.silence(device, minutes * 60_000, now - t0);
          expect(await say('root1', `silence device=${device} ${minutes}m`)).toBe(`Silence ${id}: device=${device} for ${minutes}m.`);
        } else if (r < 0.54) {
          const device = pick(Devices);
          const id = model.unsilence(device, now - t0);
          op = `unsilence ${device} (${id ?? 'none'})`;
          if (id !== undefined) expect(await say('root1', `unsilence ${id}`)).toBe(`Silence ${id} ended.`);
          await settle();
        } else if (r < 0.545) {
          // One frame carrying two updates of a device: handed over together, nobody awaiting the first.
          const device = pick(Devices);
          const kinds = [rand() < 0.5 ? 'hot' : 'ok', rand() < 0.5 ? 'hot' : 'ok'];
          op = `frame ${device} [${kinds.join(', ')}]`;
          for (const kind of kinds) {
            if (kind === 'hot') model.problem(device, now - t0);
            else model.ok(device, now - t0);
          }
          const both = kinds.map((kind) =>
            bridge.relay.handle(
              bridge.update(kind === 'hot' ? { key: device, state: 'hot', text: `${device} hot` } : { key: device, state: 'ok', severity: 'info', resolved: true, text: `${device} ok` }),
            ),
          );
          await settle();
          await Promise.all(both);
        } else if (r < 0.55) {
          op = 'feed drops';
          model.feedDrop(now - t0);
          feed.go('reconnecting', 'closed 1006');
          await settle();
        } else if (r < 0.555) {
          op = 'feed back';
          model.feedBack(now - t0);
          feed.go('connected');
          await settle();
        } else if (r < 0.557) {
          const hhmm = (m: number) => `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
          const nowMinute = Math.floor(now / 60_000) % 1440;
          const from = (nowMinute + Math.floor(rand() * 180)) % 1440;
          const to = (from + 20 + Math.floor(rand() * 580)) % 1440;
          op = `quiet ${hhmm(from)}-${hhmm(to)}`;
          model.quiet = { from: hhmm(from), to: hhmm(to), timeZone: 'UTC', critical: true };
          expect(await say('uma', `quiet ${hhmm(from)}-${hhmm(to)} UTC`)).toMatch(/^Quiet hours /);
        } else if (r < 0.558) {
          op = 'quiet off';
          model.quiet = undefined;
          model.scheduleDigest(now - t0);
          expect(await say('uma', 'quiet off')).toBe('Quiet hours are off; anything held arrives as a digest now.');
          // The digest goes out on the next turn.
          model.advance(now - t0, now - t0);
          await settle();
        } else if (r < 0.565) {
          const alert = pick(model.alerts.filter((a) => !a.feed && a.status !== 'resolved')) as ModelAlert | undefined;
          const minutes = 1 + Math.floor(rand() * 30);
          op = alert ? `snooze #${alert.id} ${minutes}m` : 'snooze (none)';
          if (alert) {
            model.snooze(alert, 'uma', minutes * 60_000, now - t0);
            expect(await say('uma', `snooze #${alert.id} ${minutes}m`)).toBe(`#${alert.id} is snoozed for ${minutes}m.`);
          }
        } else if (r < 0.57) {
          const alert = pick(model.alerts.filter((a) => !a.feed && a.status !== 'resolved')) as ModelAlert | undefined;
          op = alert ? `resolve #${alert.id} by hand` : 'resolve (none)';
          if (alert) {
            model.resolveByHand(alert, 'root1');
            expect(await say('root1', `resolve #${alert.id}`)).toBe(`#${alert.id} is resolved.`);
          }
        } else if (r < 0.572) {
          op = 'restart';
          history.push(op);
          const before = observe();
          await bridge.bridge.stop();
          running.length = 0;
          bridge = await start();
          await settle();
          model.feedBack(Date.now() - t0, true);
          model.scheduleDigest(Date.now() - t0);
          model.advance(Date.now() - t0, Date.now() - t0);
          const events = [...before, ...observe()].sort();
          count(events);
          expect({ step, op, events, recent: history.slice(-25) }).toEqual({ step, op, events: model.take(), recent: history.slice(-25) });
          continue;
        } else {
          // Time passes: mostly seconds, sometimes many minutes.
          const ms = 100 * (r < 0.9 ? Math.floor(rand() * 400) : Math.floor(rand() * 18_000));
          op = `wait ${ms} ms`;
          model.advance(now - t0, now - t0 + ms);
          await settle(ms);
        }
        history.push(op);
        const events = observe();
        count(events);
        const expected = model.take();
        if (events.join('|') !== expected.join('|')) {
          expect({ seed, step, op, events, recent: history.slice(-25) }).toEqual({ seed, step, op, events: expected, recent: history.slice(-25) });
        }
      }
      // Nobody got two first pages about one alert, and the run did exercise the lifecycle.
      expect([...firstPages].filter(([, n]) => n > 1)).toEqual([]);
      expect(model.alerts.length).toBeGreaterThan(steps / 50);
      expect(model.alerts.filter((a) => a.step > 0).length).toBeGreaterThan(0);
    },
    600_000,
  );
});
