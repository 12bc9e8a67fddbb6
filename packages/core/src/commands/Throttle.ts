import type { Command } from './Command.js';

/** Past this many tracked callers, expired windows are swept before another is added. */
const SweepAbove = 10_000;

/**
 * Cooldowns and per-user rates of guarded commands: a cooldown holds a command for everyone after
 * it ran; a rate counts each caller's runs in a sliding window.
 */
export class Throttle {
  /** When each command last started (ms since the epoch). */
  private readonly lastRun = new Map<string, number>();
  /** Start times of each caller's recent runs, by command and caller. */
  private readonly runs = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** How long `caller` must wait before `command` may run again; 0 when it may run now. */
  wait(command: Command, caller: string): number {
    const now = this.now();
    let wait = 0;
    if (command.cooldownMs) {
      const last = this.lastRun.get(command.name);
      if (last !== undefined) wait = Math.max(wait, last + command.cooldownMs - now);
    }
    if (command.rate) {
      const recent = this.recent(command, caller, now);
      if (recent.length >= command.rate.limit) wait = Math.max(wait, recent[recent.length - command.rate.limit]! + command.rate.perMs - now);
    }
    return wait;
  }

  /** `command` starts now for `caller`: it counts against its cooldown and the caller's rate. */
  started(command: Command, caller: string): void {
    const now = this.now();
    if (command.cooldownMs) this.lastRun.set(command.name, now);
    if (!command.rate) return;
    const key = `${command.name}\n${caller}`;
    const recent = this.recent(command, caller, now);
    if (recent.length === 0) {
      if (this.runs.size >= SweepAbove) this.sweep(now);
      this.runs.set(key, recent);
    }
    recent.push(now);
  }

  private recent(command: Command, caller: string, now: number): number[] {
    const key = `${command.name}\n${caller}`;
    const times = this.runs.get(key);
    if (!times) return [];
    const perMs = command.rate?.perMs ?? 0;
    while (times.length > 0 && times[0]! + perMs <= now) times.shift();
    if (times.length === 0) this.runs.delete(key);
    return times;
  }

  /** Drop windows whose runs are all older than the longest rate window seen (a day at most). */
  private sweep(now: number): void {
    for (const [key, times] of this.runs) if (times.length === 0 || times[times.length - 1]! + 86_400_000 <= now) this.runs.delete(key);
  }
}
