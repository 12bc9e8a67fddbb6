import type { ServerResponse } from 'node:http';

/** What changed, as the page hears it: it then fetches that part again, with its own session's rights. */
export type Topic = 'alerts' | 'silences' | 'feeds' | 'devices' | 'users' | 'deliveries' | 'audit';

/** Clients at once; more are refused (503) so that a leak of tabs cannot pile up sockets. */
const MaxClients = 100;

/**
 * Server-sent events for the web console. Events carry only a topic, never data: whatever the
 * page shows it fetches through the API, which checks the session's rights, so a stream can leak
 * nothing. Bursts are coalesced: a topic is sent at most once per `coalesceMs`.
 */
export class LiveEvents {
  private readonly clients = new Set<ServerResponse>();
  private readonly due = new Set<Topic>();
  private timer: NodeJS.Timeout | undefined;
  private readonly keepAlive: NodeJS.Timeout;

  constructor(private readonly coalesceMs = 200) {
    // A comment line now and then keeps proxies and phones from dropping an idle stream.
    this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), 25_000);
    this.keepAlive.unref();
  }

  /** Take a client's `GET /api/events`. @returns false when there are too many already. */
  add(res: ServerResponse): boolean {
    if (this.clients.size >= MaxClients) return false;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    return true;
  }

  get size(): number {
    return this.clients.size;
  }

  /** Tell every client that `topic` changed (soon, with others of the same burst). */
  changed(topic: Topic): void {
    if (this.clients.size === 0) return;
    this.due.add(topic);
    this.timer ??= setTimeout(() => this.flush(), this.coalesceMs);
  }

  /** End every stream (at stop). */
  close(): void {
    clearTimeout(this.timer);
    clearInterval(this.keepAlive);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private flush(): void {
    this.timer = undefined;
    const topics = [...this.due];
    this.due.clear();
    for (const topic of topics) this.write(`event: ${topic}\ndata: {}\n\n`);
  }

  private write(text: string): void {
    for (const res of this.clients) res.write(text);
  }
}
