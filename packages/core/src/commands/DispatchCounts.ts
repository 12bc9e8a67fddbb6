import type { DispatchOutcome } from './outcome.js';

/** Upper bounds (seconds) of the dispatch latency histogram's buckets. */
export const LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

/** The name counted for a message that named no command, and for one naming a command nobody registered. */
export const NoCommand = '_none';
export const UnknownCommand = '_unknown';

type Result = DispatchOutcome['result'];

/**
 * Outcomes of dispatch, counted as they happen (see `Dispatcher.countOutcomes`): per command and
 * result, and a latency histogram. A few increments per message and no object: `/metrics` reads
 * them when scraped. A command is counted under a registered command's own name (aliases and other
 * languages fold into it) or one of two fixed names, never under what someone typed.
 */
export class DispatchCounts {
  /** Count per command, per result. */
  readonly counts = new Map<string, Map<Result, number>>();
  /** Per bucket (not cumulative); the last one is +Inf. */
  readonly buckets = new Array<number>(LatencyBuckets.length + 1).fill(0);
  sumSeconds = 0;
  total = 0;

  constructor(
    /** The registered command's own name for a name or alias; undefined when there is none. */
    private readonly canonical: (name: string) => string | undefined,
  ) {}

  count(command: string | undefined, result: Result, ms: number): void {
    const name = command === undefined ? NoCommand : result === 'unknown' ? UnknownCommand : (this.canonical(command) ?? UnknownCommand);
    let byResult = this.counts.get(name);
    if (!byResult) {
      byResult = new Map();
      this.counts.set(name, byResult);
    }
    byResult.set(result, (byResult.get(result) ?? 0) + 1);
    const seconds = ms / 1000;
    let i = 0;
    while (i < LatencyBuckets.length && seconds > LatencyBuckets[i]!) i++;
    this.buckets[i]!++;
    this.sumSeconds += seconds;
    this.total++;
  }
}
