import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Subject, type Observable } from 'rxjs';
import { errorInfo, SwitchboardError, type Logger } from '@switchboard/core';

/**
 * Renew the lock while we hold it (1); take it again when it lapsed while Redis was away and nobody
 * took it meanwhile (2); 0 when someone else holds it. Release likewise: never someone else's.
 */
const RenewScript = `local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
if holder == false then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
return 0`;
const ReleaseScript = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** How often a standby tries for the lock. */
const StandbyPollMs = 250;
/** The longest gap between two clients' reconnects to a Redis that is back (their backoff's cap, see `client.ts`) and some. */
const ReconnectSlackMs = 6000;

/**
 * The lease on a prefix that makes one process its writer: `SET NX PX`, renewed at a third of its
 * ttl, with this process's token (`host:pid:random`), which every write of the store checks (see
 * `fenced.ts`). Another process is refused, or with `standby` waits until the lease is free.
 */
export class StoreLock {
  readonly token = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
  private timer: NodeJS.Timeout | undefined;
  private readonly lostSubject = new Subject<string>();
  private lostOnce = false;
  private readonly standingBySubject = new Subject<string>();
  /** Emits the holder when `take` starts waiting for it. */
  readonly standingBy$: Observable<string> = this.standingBySubject.asObservable();
  /** Emits once, why, when another process holds the lease now: this one must stop writing. */
  readonly lost$: Observable<string> = this.lostSubject.asObservable();

  constructor(
    private readonly client: Redis,
    readonly key: string,
    private readonly ttlMs: number,
    private readonly where: string,
    private readonly logger: Logger,
  ) {}

  /** The ttl as fenced writes pass it (they take a lapsed lock again). */
  get ttl(): string {
    return String(this.ttlMs);
  }

  /**
   * Take the lease. A holder of this machine whose process is gone is taken over at once.
   * @throws SwitchboardError STORE_LOCKED when another process holds it (unless `standby`, which waits).
   */
  async take(standby: boolean, signal?: AbortSignal): Promise<void> {
    let told = false;
    for (;;) {
      if (standby && (await this.stalled())) {
        // Redis was away: the active instance's lock may have lapsed only because of that. Leave it a lock's
        // lifetime after its own reconnect (up to 5 s later) to take the lock back before trying for it.
        this.logger.info({ lock: this.key }, 'Redis was away; leaving the active instance time to renew its lock');
        await new Promise((r) => setTimeout(r, this.ttlMs + ReconnectSlackMs));
        continue;
      }
      const asked = Date.now();
      const taken = (await this.client.set(this.key, this.token, 'PX', this.ttlMs, 'NX')) === 'OK';
      if (taken && standby && Date.now() - asked > this.ttlMs / 3) {
        // It went out just before Redis went away: give it back, as above.
        await this.client.eval(ReleaseScript, 1, this.key, this.token);
        continue;
      }
      if (taken) break;
      const holder = await this.client.get(this.key);
      const [host, pid] = (holder ?? '').split(':');
      if (holder && host === hostname() && !alive(Number(pid))) {
        await this.client.eval(ReleaseScript, 1, this.key, holder);
        this.logger.warn({ holder }, 'took over the Redis store lock of a process that no longer runs');
        continue;
      }
      if (!standby) {
        const left = await this.client.pttl(this.key);
        throw new SwitchboardError(
          'STORE_LOCKED',
          `another process holds ${this.key} on ${this.where} (${holder ?? 'unknown'}; it expires in ${Math.max(0, Math.ceil(left / 1000))} s unless renewed): one bridge per prefix, or standby: true to wait for it`,
        );
      }
      if (!told) {
        this.logger.info({ holder, lock: this.key }, 'standing by: another instance holds the store; taking over when it stops');
        this.standingBySubject.next(holder ?? 'another instance');
      }
      told = true;
      if (signal?.aborted) throw new SwitchboardError('STORE_LOCKED', `stopped while standing by for ${this.key}`);
      await new Promise((r) => setTimeout(r, StandbyPollMs));
    }
    if (told) this.logger.info({ lock: this.key }, 'took over the store: this instance is active now');
    this.standingBySubject.complete();
    this.timer = setInterval(() => this.renew(), Math.max(100, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  /** True when a PING waited (for Redis to come back) longer than a third of the ttl. */
  private async stalled(): Promise<boolean> {
    const asked = Date.now();
    await this.client.ping();
    return Date.now() - asked > this.ttlMs / 3;
  }

  /** Another process holds the lease now (a fenced write, or a renewal, found it). */
  lost(why: string): void {
    if (this.lostOnce) return;
    this.lostOnce = true;
    clearInterval(this.timer);
    this.logger.error({ lock: this.key, why }, 'lost the Redis store lock to another instance; this one stops writing');
    this.lostSubject.next(why);
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    if (!this.lostOnce) await this.client.eval(ReleaseScript, 1, this.key, this.token).catch(() => undefined);
    this.lostSubject.complete();
  }

  private renew(): void {
    this.client.eval(RenewScript, 1, this.key, this.token, String(this.ttlMs)).then(
      (renewed) => {
        if (renewed === 2) this.logger.warn({ lock: this.key }, 'the Redis store lock lapsed while Redis was away; taken again');
        else if (renewed !== 1) this.lost('another instance holds the lock now');
      },
      (error: unknown) => this.logger.warn({ ...errorInfo(error), lock: this.key }, 'could not renew the Redis store lock'),
    );
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
