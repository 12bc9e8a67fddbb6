// The common row every benchmark hands to `npm run bench:all`, which prints them as one table.
// A benchmark run with BENCH_JSON=<file> appends one JSON line per row to that file.
import { appendFileSync } from 'node:fs';

/**
 * @param rows objects with: bench, config, covers (the path the clock covers), rate (number),
 *   unit (what rate counts), p50, p99 (ms), rss (MB), cpu (µs per unit, all threads), ok (true when
 *   the run's own correctness checks passed), others (% of a core used by other processes), note
 */
export function emitRows(rows) {
  const file = process.env.BENCH_JSON;
  if (!file) return;
  for (const row of rows) appendFileSync(file, JSON.stringify(row) + '\n');
}
