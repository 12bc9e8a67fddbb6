// Run a benchmark script once per configuration, each in a fresh process (so one run's garbage and
// JIT state do not tax the next), and collect the row each prints as its last line of JSON.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * @param scriptUrl the benchmark's `import.meta.url`; it runs one configuration when given `--only`
 * @param values its parsed options, passed on to every run (`only` excepted)
 * @param onlies the `--only` value of each run
 */
export function rowsFromOwnProcesses(scriptUrl, values, onlies) {
  const script = fileURLToPath(scriptUrl);
  const passthrough = Object.entries(values).flatMap(([k, v]) => (k === 'only' || v === undefined ? [] : [`--${k}`, String(v)]));
  return onlies.map((only) => {
    const out = execFileSync(process.execPath, [script, '--only', only, ...passthrough], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return JSON.parse(out.trim().split('\n').at(-1));
  });
}
