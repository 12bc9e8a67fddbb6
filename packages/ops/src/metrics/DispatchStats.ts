import type { CommandRegistry, DispatchOutcome } from '@switchboard/core';

/** Upper bounds (seconds) of the dispatch latency histogram's buckets. */
export const LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

/** The `command` label of a message that named no command, and of one naming a command nobody registered. */
export const NoCommand = '_none';
export const UnknownCommand = '_unknown';

/**
 * Outcomes of dispatch, counted as they happen at the cost of a few increments; `/metrics` turns
 * them into Prometheus series when scraped. The command label is a registered command's own name
 * (aliases and other languages fold into it) or one of two fixed values, never what someone typed.
 */
export class DispatchStats {
  /** Count per command, per outcome. */
  readonly counts = new Map<string, Map<DispatchOutcome['result'], number>>();
  /** Per bucket (not cumulative); the last one is +Inf. */
  readonly buckets = new Array<number>(LatencyBuckets.length + 1).fill(0);
  sumSeconds = 0;
  count = 0;

  constructor(private readonly registry: Pick<CommandRegistry, 'resolve'>) {}

  observe(outcome: DispatchOutcome): void {
    const name = outcome.command === undefined ? NoCommand : (this.registry.resolve(outcome.command)?.name ?? UnknownCommand);
    let byResult = this.counts.get(name);
    if (!byResult) {
      byResult = new Map();
      this.counts.set(name, byResult);
    }
    byResult.set(outcome.result, (byResult.get(outcome.result) ?? 0) + 1);
    const seconds = outcome.ms / 1000;
    let i = 0;
    while (i < LatencyBuckets.length && seconds > LatencyBuckets[i]!) i++;
    this.buckets[i]!++;
    this.sumSeconds += seconds;
    this.count++;
  }
}
