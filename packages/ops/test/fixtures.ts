// One bridge for the operations tests: a memory chat, a relay with a hand-driven feed, and the
// operations server on a free loopback port. Everything is stopped after each test.
import { afterEach } from 'vitest';
import { Bridge, MemoryStore, type Logger, type Tier } from '@switchboard/core';
import { MemoryAdapter, waitUntil, type MemoryAdapterOptions } from '@switchboard/core/testing';
import { Relay, RelaySections, type Update } from '@switchboard/relay';
import { ManualSource } from '@switchboard/relay/testing';
import { opsPlugin, type OpsServer } from '@switchboard/ops';

const running: Bridge[] = [];

/** For a test file: every bridge it started is stopped after each test. */
export function useOps(): void {
  afterEach(async () => {
    for (const bridge of running.splice(0)) await bridge.stop();
  });
}

export interface OpsBridgeOptions {
  /** The `http:` section, beyond `listen: 127.0.0.1:0`. */
  readonly http?: Record<string, unknown>;
  /** Extra users (name → tier), beside alice (root), bob (admin) and carol (user). */
  readonly users?: Readonly<Record<string, Tier>>;
  /** `commands:` overrides. */
  readonly commands?: Readonly<Record<string, { minTier?: Tier; disabled?: boolean }>>;
  readonly logger?: Logger;
  readonly adapter?: MemoryAdapterOptions;
}

/** A logger that keeps every line, at every level, as text: to look for what must never be logged. */
export function recordingLogger(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const make = (bindings: Record<string, unknown>): Logger => {
    const log = (level: string) => (obj: object, msg?: string) => void lines.push(`${level} ${JSON.stringify({ ...bindings, ...obj })} ${msg ?? ''}`);
    return { trace: log('trace'), debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: (more) => make({ ...bindings, ...more }) };
  };
  return Object.assign(make({}), { lines });
}

/** A started bridge with the relay and the operations server; `say` chats, `fire` makes the feed report. */
export async function opsBridge(options: OpsBridgeOptions = {}) {
  const adapter = new MemoryAdapter(options.adapter);
  const sources: ManualSource[] = [];
  const relay = new Relay({
    feeds: RelaySections.feeds.parse([{ name: 'lab', type: 'websocket', url: 'ws://127.0.0.1:1' }]),
    routes: RelaySections.routes.parse([
      { name: 'lab', match: { source: 'lab' }, notify: { users: ['carol'] }, subscribers: 'user', alert: { severity: 'error', groupWait: '0s' } },
    ]),
    relay: RelaySections.relay.parse({ startJitter: 0 }),
    createSource: (feed) => {
      const source = new ManualSource(feed.name);
      sources.push(source);
      return source;
    },
  });
  const id = (name: string) => [{ platform: 'memory', id: name }];
  const people: Record<string, Tier> = { alice: 'root', bob: 'admin', carol: 'user', ...options.users };
  const bridge = new Bridge({
    store: new MemoryStore(),
    adapters: [adapter],
    users: Object.entries(people).map(([name, tier]) => ({ name, tier, identities: id(name) })),
    plugins: [relay, { plugin: opsPlugin, config: { http: { listen: '127.0.0.1:0', ...options.http } } }],
    ...(options.commands ? { commandOverrides: options.commands } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  await bridge.start();
  running.push(bridge);
  const server = bridge.services.get('ops') as OpsServer;
  const base = `http://127.0.0.1:${server.port}`;

  /** Send `text` as `from` in a one-to-one chat (or `chat`), and resolve with the next reply there. */
  const say = async (from: string, text: string, chat?: { kind: 'group'; id: string }): Promise<string> => {
    const to = chat ? chat.id : from;
    const before = adapter.textsTo(to).length;
    adapter.inject({ from, text, ...(chat ? { chat: { platform: 'memory', kind: chat.kind, id: chat.id } } : {}) });
    await waitUntil(() => adapter.textsTo(to).length > before, `a reply to "${text}"`);
    return adapter.textsTo(to).at(-1)!;
  };
  /** The lab feed reports a device's state (severity error opens an alert that pages carol). */
  const fire = (device: string, severity: Update['severity'], text: string, resolved = false): void =>
    sources[0]!.push({ source: 'lab', key: device, topic: 'lab', severity, state: resolved ? 'ok' : 'bad', text, at: Date.now(), resolved });
  /** The login link the `web` command sends `user`, taken from the chat reply. */
  const link = async (user: string): Promise<string> => {
    const reply = await say(user, 'web');
    const url = /(http:\/\/\S+\/login#\S+)/.exec(reply)?.[1];
    if (!url) throw new Error(`no login link in the reply: ${reply}`);
    return url;
  };
  return { bridge, adapter, relay, source: () => sources[0]!, server, base, say, fire, link, inbox: (who: string) => adapter.textsTo(who) };
}

export type OpsFixture = Awaited<ReturnType<typeof opsBridge>>;

/** What a browser on the console's own page sends with a change. */
export function sameOrigin(base: string, extra: Record<string, string> = {}): Record<string, string> {
  return { origin: base, 'content-type': 'application/json', ...extra };
}

/** Sign in with a link as the page does: POST the fragment's token. @returns the cookie header and the CSRF token. */
export async function signIn(base: string, link: string): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const token = link.slice(link.indexOf('#') + 1);
  const res = await fetch(`${base}/login`, { method: 'POST', headers: sameOrigin(base), body: JSON.stringify({ token }) });
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0]!;
  const session = (await (await fetch(`${base}/api/session`, { headers: { cookie } })).json()) as { csrf: string };
  return { cookie, csrf: session.csrf, setCookie };
}
