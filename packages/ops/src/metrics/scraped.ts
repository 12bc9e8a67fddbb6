import { Counter, Gauge, type Registry } from 'prom-client';

/** The values of one metric: label set and value, one pair per series. */
export type Samples = Iterable<readonly [Readonly<Record<string, string>>, number]>;

/**
 * A counter or gauge whose every series is read when Prometheus scrapes (from counts the bridge keeps
 * anyway), not updated as things happen: nothing of prom-client runs on the dispatch or delivery path.
 * A counter's reader returns the running total.
 */
export function scraped(
  registry: Registry,
  type: 'counter' | 'gauge',
  name: string,
  help: string,
  labelNames: readonly string[],
  read: () => Samples | Promise<Samples>,
): void {
  const registers = [registry];
  if (type === 'counter') {
    new Counter({
      name,
      help,
      labelNames,
      registers,
      async collect(this: Counter) {
        const samples = await read();
        this.reset();
        for (const [labels, value] of samples) this.inc(labels, value);
      },
    });
  } else {
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      async collect(this: Gauge) {
        const samples = await read();
        this.reset();
        for (const [labels, value] of samples) this.set(labels, value);
      },
    });
  }
}

/** One unlabelled sample, or none when the value is not known. */
export function one(value: number | undefined): Samples {
  return value === undefined ? [] : [[{}, value]];
}
