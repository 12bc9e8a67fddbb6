import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { BehaviorSubject, ReplaySubject, Subject, type Observable } from 'rxjs';
import type { Adapter, AdapterLimits, AdapterStatus, SendRequest } from '../domain/Adapter.js';
import type { Address, Identity } from '../domain/address.js';
import type { InboundMessage, SendResult } from '../domain/messages.js';

/** Options of {@link ConsoleAdapter}. */
export interface ConsoleAdapterOptions {
  /** The console identity you speak as (`console:<user>` in the directory). */
  readonly user: string;
  /** Where lines come from. @defaultValue process.stdin */
  readonly input?: Readable;
  /** Where replies are written. @defaultValue process.stdout */
  readonly output?: Writable;
  /** Allow `:as <id>` to speak as another console identity (handy for trying tiers). @defaultValue true */
  readonly allowSwitch?: boolean;
  /** Show a prompt when the input is a terminal. @defaultValue true */
  readonly prompt?: boolean;
}

/** Limits of the console: long texts are fine, no rate limit. */
export const ConsoleLimits = { maxTextLength: 8000, sendRatePerSecond: Infinity } as const satisfies AdapterLimits;

/**
 * Chat with the bridge from a terminal. Each line is a message from the configured identity;
 * replies print as `bot> …`, and messages for other console identities as `[→ name] …`.
 * End of input (Ctrl-D) is reported on {@link ConsoleAdapter.end$}.
 */
export class ConsoleAdapter implements Adapter {
  readonly name = 'console';
  readonly limits: AdapterLimits = ConsoleLimits;
  private readonly inboundSubject = new Subject<InboundMessage>();
  private readonly statusSubject = new BehaviorSubject<AdapterStatus>({ adapter: 'console', state: 'stopped', at: Date.now() });
  /** Replays its one value: whoever subscribes after the input ended still hears of it. */
  private readonly endSubject = new ReplaySubject<void>(1);
  private readonly input: Readable;
  private readonly output: Writable;
  private readonly allowSwitch: boolean;
  private readonly prompt: boolean;
  private rl: Interface | undefined;
  private user: string;
  private seq = 0;

  readonly inbound$: Observable<InboundMessage> = this.inboundSubject.asObservable();
  readonly status$: Observable<AdapterStatus> = this.statusSubject.asObservable();
  /** Emits once when the input ends, also to those who subscribe after it did. */
  readonly end$: Observable<void> = this.endSubject.asObservable();

  constructor(options: ConsoleAdapterOptions) {
    if (!options.user) throw new TypeError('the console adapter needs a user to speak as');
    this.user = options.user;
    this.input = options.input ?? process.stdin;
    this.output = options.output ?? process.stdout;
    this.allowSwitch = options.allowSwitch ?? true;
    this.prompt = (options.prompt ?? true) && Boolean((this.input as { isTTY?: boolean }).isTTY);
  }

  /** The identity lines are sent as. */
  get speakingAs(): string {
    return this.user;
  }

  async start(): Promise<void> {
    this.rl = createInterface({ input: this.input, terminal: this.prompt, ...(this.prompt ? { output: this.output } : {}) });
    this.rl.setPrompt(`${this.user}> `);
    this.rl.on('line', (line) => this.onLine(line));
    this.rl.on('close', () => {
      this.rl = undefined;
      this.statusSubject.next({ adapter: this.name, state: 'stopped', detail: 'end of input', at: Date.now() });
      this.endSubject.next();
    });
    this.statusSubject.next({ adapter: this.name, state: 'ready', detail: `speaking as ${this.user}`, at: Date.now() });
    this.showPrompt();
  }

  async stop(): Promise<void> {
    const rl = this.rl;
    this.rl = undefined;
    rl?.removeAllListeners('close');
    rl?.close();
    this.statusSubject.next({ adapter: this.name, state: 'stopped', at: Date.now() });
    this.inboundSubject.complete();
    this.statusSubject.complete();
    this.endSubject.complete();
  }

  /**
   * Show a notice to the person at the terminal: above the prompt when interactive, on stderr when
   * the input is piped (so stdout carries only the conversation).
   */
  notice(text: string): void {
    if (this.prompt && this.rl) this.write(`${text}\n`);
    else process.stderr.write(`${text}\n`);
  }

  /** Every console identity is a chat of its own on this terminal. */
  addressFor(identity: Identity): Address | undefined {
    return identity.platform === this.name ? { platform: this.name, kind: 'dm', id: identity.id } : undefined;
  }

  async send(request: SendRequest): Promise<SendResult> {
    const head = request.to.id === this.user ? 'bot> ' : `[→ ${request.to.id}] `;
    const body = request.text.replace(/\n/g, '\n' + ' '.repeat(head.length));
    this.write(`${head}${body}\n`);
    return { type: 'delivered' };
  }

  private onLine(raw: string): void {
    const line = raw.trim();
    if (line === '') return this.showPrompt();
    const switchTo = /^:as\s+(\S+)$/.exec(line);
    if (switchTo && this.allowSwitch) {
      this.user = switchTo[1]!;
      this.rl?.setPrompt(`${this.user}> `);
      this.write(`(now speaking as console:${this.user})\n`);
      return this.showPrompt();
    }
    this.inboundSubject.next({
      id: `console-${Date.now().toString(36)}-${this.seq++}`,
      platform: this.name,
      from: { platform: this.name, id: this.user, name: this.user },
      chat: { platform: this.name, kind: 'dm', id: this.user },
      text: line,
      mentionsBot: true,
      receivedAt: Date.now(),
    });
  }

  private write(text: string): void {
    if (this.prompt && this.rl) {
      // Keep the prompt usable when a reply arrives while someone is typing.
      this.output.write('\r\x1b[K' + text);
      this.showPrompt();
      return;
    }
    this.output.write(text);
  }

  private showPrompt(): void {
    if (this.prompt) this.rl?.prompt(true);
  }
}
