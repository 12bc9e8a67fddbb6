import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Subject, type Observable } from 'rxjs';
import { WechatyBuilder, ScanStatus, types, type Contact, type Message, type Room, type Wechaty as WechatyInterface } from 'wechaty';
import type { WechatyOptions } from 'wechaty';
import {
  errorInfo,
  Reconnector,
  RecentIds,
  silentLogger,
  sleep,
  StatusCell,
  type Adapter,
  type AdapterLimits,
  type AdapterStatus,
  type Address,
  type Identity,
  type InboundMessage,
  type Logger,
  type SendRequest,
  type SendResult,
} from '@switchboard/core';
import type { WechatConfig } from './config.js';
import { renderQr } from './qr.js';

/** Options of {@link WechatAdapter}. */
export interface WechatAdapterOptions {
  readonly config: WechatConfig;
  /** Where the login session is kept (`<dataDir>/wechat`). */
  readonly sessionDir: string;
  readonly logger?: Logger;
  /** A puppet instance instead of `config.puppet` (tests pass wechaty-puppet-mock here). */
  readonly puppet?: WechatyOptions['puppet'];
  /** Where the QR code is drawn for scanning. @defaultValue process.stderr */
  readonly qrOutput?: NodeJS.WritableStream;
  readonly random?: () => number;
}

/** Platform name in addresses and identities. */
export const WechatPlatform = 'wechat';

const DedupeWindow = 10_000;

/**
 * WeChat through Wechaty. Text messages from contacts and rooms become inbound messages (own
 * messages, old replays and duplicates are skipped; in rooms only mentions count by default);
 * sends are paced per chat and overall. Every Wechaty callback is guarded: a throwing handler never
 * becomes an unhandled rejection, and the adapter never exits the process. After a logout or a
 * puppet failure it restarts the puppet with backoff and shows the new QR code.
 *
 * Identities: WeChat ids change at every login on web puppets, so a user may be known as
 * `wechat:<id>` (exact), `wechat:alias:<remark you gave them>` (weaker: you set it, it can be
 * changed) or `wechat:name:<display name>` (weakest: anyone can pick any name).
 */
export class WechatAdapter implements Adapter {
  readonly name = WechatPlatform;
  readonly limits: AdapterLimits;
  private readonly config: WechatConfig;
  private readonly logger: Logger;
  private readonly inboundSubject = new Subject<InboundMessage>();
  private readonly status = new StatusCell<AdapterStatus>({ adapter: WechatPlatform }, 'stopped');
  private readonly windowsSubject = new Subject<Address>();
  private bot: WechatyInterface | undefined;
  private loginAt = 0;
  private selfName = '';
  private readonly seen = new RecentIds(DedupeWindow);
  private readonly lastSend = new Map<string, number>();
  private readonly restarts: Reconnector;
  private errorsLogged = 0;

  readonly inbound$: Observable<InboundMessage> = this.inboundSubject.asObservable();
  readonly status$: Observable<AdapterStatus> = this.status.changes$;

  constructor(private readonly options: WechatAdapterOptions) {
    this.config = options.config;
    this.logger = (options.logger ?? silentLogger).child({ adapter: WechatPlatform });
    this.limits = { maxTextLength: this.config.maxTextLength, sendRatePerSecond: this.config.sendRate, sendBurst: 1 };
    this.restarts = new Reconnector({
      connect: () => this.restart(),
      backoff: { baseMs: this.config.restartBackoff.base, maxMs: this.config.restartBackoff.max },
      ...(options.random ? { random: options.random } : {}),
      unref: true,
      logger: this.logger,
    });
  }

  /** True once a WeChat account is logged in. */
  get loggedIn(): boolean {
    return this.bot?.isLoggedIn ?? false;
  }

  /** The running Wechaty instance (for tests and advanced embedding). */
  get wechaty(): WechatyInterface | undefined {
    return this.bot;
  }

  async start(): Promise<void> {
    this.restarts.resume();
    await mkdir(this.options.sessionDir, { recursive: true });
    await this.boot();
  }

  async stop(): Promise<void> {
    this.restarts.stop();
    const bot = this.bot;
    this.bot = undefined;
    // Wechaty keeps a long keep-alive timer: without stop() the process never exits.
    await bot?.stop().catch((error: unknown) => this.logger.warn(errorInfo(error), 'wechaty did not stop cleanly'));
    this.setStatus('stopped');
    this.inboundSubject.complete();
    this.status.close();
    this.windowsSubject.complete();
  }

  /**
   * A person's one-to-one chat. `alias:` and `name:` identities stay as they are in the address and
   * are looked up when a message goes out, so a page queued before a re-login (which changes web
   * puppets' ids) still finds the contact after it.
   */
  addressFor(identity: Identity): Address | undefined {
    if (identity.platform !== WechatPlatform || identity.id === '' || identity.id.startsWith('topic:')) return undefined;
    return { platform: WechatPlatform, kind: 'dm', id: identity.id };
  }

  async send(request: SendRequest): Promise<SendResult> {
    const bot = this.bot;
    if (!bot || !bot.isLoggedIn) return { type: 'retry', afterMs: 5000, reason: 'WeChat is not logged in' };
    const target = await this.resolve(bot, request.to).catch(() => undefined);
    if (!target) {
      const what = request.to.kind === 'group' ? 'room' : 'contact';
      return { type: 'failed', reason: `unknown WeChat ${what} "${request.to.id}"` };
    }
    await this.pace(request.to);
    try {
      await target.say(request.text);
      return { type: 'delivered' };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // WeChat's own flood refusals: "发送消息过于频繁" / "操作过于频繁".
      if (/频繁|too frequent|rate/i.test(message)) return { type: 'retry', afterMs: 60_000, reason: `WeChat refused: ${message}` };
      return { type: 'retry', reason: message };
    }
  }

  private async boot(): Promise<void> {
    const sessionName = join(this.options.sessionDir, this.config.session);
    const bot = WechatyBuilder.build({
      name: sessionName,
      puppet: (this.options.puppet ?? this.config.puppet) as WechatyOptions['puppet'],
      puppetOptions: this.config.puppetOptions,
    } as WechatyOptions);
    this.bot = bot;
    // Wechaty emits 'error' for things as ordinary as an unknown id; without a listener that would throw.
    bot.on('error', (error) => this.onError(error));
    bot.on('scan', (qrcode, status) => this.guard('scan', () => this.onScan(qrcode, status)));
    bot.on('login', (user) => this.guard('login', () => this.onLogin(user)));
    bot.on('logout', (user, reason) => this.guard('logout', () => this.onLogout(user, reason)));
    bot.on('message', (message) => this.guard('message', () => this.onMessage(message)));
    this.setStatus('starting', 'starting the puppet');
    try {
      await bot.start();
    } catch (error) {
      this.logger.error(errorInfo(error), 'the WeChat puppet failed to start');
      this.scheduleRestart(`puppet failed to start: ${(error as Error).message}`);
    }
  }

  private guard(event: string, fn: () => unknown): void {
    Promise.resolve()
      .then(fn)
      .catch((error: unknown) => this.logger.error({ ...errorInfo(error), event }, 'wechat handler failed'));
  }

  private onError(error: unknown): void {
    // Web puppets can emit several errors a second while offline; log the first ones, then sample.
    if (this.errorsLogged++ < 5 || this.errorsLogged % 100 === 0) {
      this.logger.warn({ ...errorInfo(error), count: this.errorsLogged }, 'wechaty error');
    }
  }

  private async onScan(qrcode: string, status: ScanStatus): Promise<void> {
    if (status === ScanStatus.Waiting || status === ScanStatus.Timeout) {
      const url = `https://wechaty.js.org/qrcode/${encodeURIComponent(qrcode)}`;
      this.setStatus('starting', 'waiting for a QR scan');
      this.logger.info({ url }, 'scan this QR code with WeChat to log in');
      const out = this.options.qrOutput ?? process.stderr;
      out.write(`\nScan with WeChat to log in (or open ${url}):\n${await renderQr(qrcode)}\n`);
    } else if (status === ScanStatus.Scanned) {
      this.setStatus('starting', 'scanned; confirm the login on the phone');
    }
  }

  private onLogin(user: Contact): void {
    this.loginAt = Date.now();
    this.restarts.healthy();
    this.selfName = user.name();
    this.setStatus('ready', `logged in as ${this.selfName}`);
  }

  private onLogout(_user: Contact, reason?: string): void {
    // Our own stop logs the account out: that is no reconnect, and worth no warning.
    if (!this.restarts.active) return;
    this.setStatus('reconnecting', `logged out${reason ? `: ${reason}` : ''}`);
    this.scheduleRestart('logged out');
  }

  /** Restart the puppet with backoff unless a login happens first (some puppets re-login themselves). */
  private scheduleRestart(reason: string): void {
    const delay = this.restarts.retry();
    if (delay !== undefined) this.logger.warn({ reason, delay }, 'restarting the WeChat puppet');
  }

  /** One restart: stop the old puppet and boot a new one; a failure is retried after backoff. */
  private async restart(): Promise<void> {
    if (this.bot?.isLoggedIn) return;
    const old = this.bot;
    this.bot = undefined;
    await old?.stop().catch(() => undefined);
    if (this.restarts.active) await this.boot();
  }

  private async onMessage(message: Message): Promise<void> {
    if (message.self()) return;
    if (message.type() !== types.Message.Text) return;
    if (!this.seen.add(message.id)) return;
    const sentAt = message.date().getTime();
    // Offline replays after a login, and anything older than maxAge, are not commands for now.
    if (sentAt < this.loginAt - 1000 || message.age() * 1000 > this.config.maxAge) return;
    const talker = message.talker();
    const room = message.room();
    let text = message.text();
    let mentioned = true;
    if (room) {
      if (!(await this.roomAllowed(room))) return;
      const mentionSelf = await message.mentionSelf().catch(() => false);
      // mentionSelf() misses some clients' mentions; the visible "@name" is the fallback.
      mentioned = mentionSelf || (this.selfName !== '' && text.includes(`@${this.selfName}`));
      if (this.config.mentionOnly && !mentioned) return;
      if (mentionSelf) text = await message.mentionText().catch(() => text);
      if (this.selfName) text = text.split(`@${this.selfName}`).join('').trim();
    }
    const quote = parseQuote(text);
    if (quote) text = quote.text;
    const alias = await talker.alias().catch(() => undefined);
    const alternates: Identity[] = [];
    if (alias) alternates.push({ platform: WechatPlatform, id: `alias:${alias}` });
    if (talker.name()) alternates.push({ platform: WechatPlatform, id: `name:${talker.name()}` });
    this.inboundSubject.next({
      id: message.id,
      platform: WechatPlatform,
      from: { platform: WechatPlatform, id: talker.id, name: talker.name() },
      alternates,
      chat: room ? { platform: WechatPlatform, kind: 'group', id: room.id } : { platform: WechatPlatform, kind: 'dm', id: talker.id },
      text,
      mentionsBot: mentioned,
      receivedAt: Date.now(),
      ...(quote ? { quoted: { text: quote.quoted } } : {}),
    });
  }

  private async roomAllowed(room: Room): Promise<boolean> {
    if (this.config.rooms.length === 0) return true;
    if (this.config.rooms.includes(room.id)) return true;
    const topic = await room.topic().catch(() => undefined);
    return topic !== undefined && this.config.rooms.includes(topic);
  }

  /** Find where to send: a room or contact by id, a contact by `alias:` or `name:`, a room by `topic:`. */
  private async resolve(bot: WechatyInterface, to: Address): Promise<{ say(text: string): Promise<unknown> } | undefined> {
    const { id } = to;
    if (id.startsWith('topic:')) return bot.Room.find({ topic: id.slice('topic:'.length) });
    if (id.startsWith('alias:')) return bot.Contact.find({ alias: id.slice('alias:'.length) });
    if (id.startsWith('name:')) return bot.Contact.find({ name: id.slice('name:'.length) });
    if (to.kind === 'group' || to.kind === 'channel') return bot.Room.find({ id });
    return bot.Contact.find({ id });
  }

  /** At least `perChatInterval` (plus jitter) between two sends to one chat. */
  private async pace(to: Address): Promise<void> {
    const key = `${to.kind}:${to.id}`;
    const jitter = Math.floor((this.options.random ?? Math.random)() * this.config.jitter);
    const wait = (this.lastSend.get(key) ?? 0) + this.config.perChatInterval + jitter - Date.now();
    if (wait > 0) await sleep(wait);
    this.lastSend.set(key, Date.now());
  }

  private setStatus(state: AdapterStatus['state'], detail?: string): void {
    this.status.set(state, detail);
  }
}

/**
 * A WeChat quote as puppets hand it over: `「name：quoted text」`, a line of `- - -`, then the reply
 * (some clients use `:`; rooms put the @mention in the reply). Undefined when the text is no quote.
 */
export function parseQuote(text: string): { quoted: string; text: string } | undefined {
  const match = /^「([^：:」]*)[：:]([\s\S]*?)」\s*\n(?:- ){5,}-?\s*\n([\s\S]*)$/.exec(text);
  if (!match) return undefined;
  return { quoted: match[2]!.trim(), text: match[3]!.trim() };
}
