// `npm run bench:all`: every benchmark with its defaults, one after another, each in its own
// processes, and one table of what each measured. The closing notes of issues quote it for before
// and after figures. Writes the table to stdout and to bench/results.md (not committed).
//
//   npm run bench:all [-- --skip qq,relay]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { skip: { type: 'string', default: '' } } });
const skip = new Set(values.skip.split(',').filter(Boolean));
const here = dirname(fileURLToPath(import.meta.url));
const benches = ['dispatcher', 'outbox', 'relay', 'qq', 'flood', 'idle'].filter((b) => !skip.has(b));
const dir = mkdtempSync(join(tmpdir(), 'sb-bench-all-'));
const file = join(dir, 'rows.jsonl');
writeFileSync(file, '');
const failed = [];
const started = new Date();
for (const bench of benches) {
  console.error(`running ${bench}…`);
  const run = spawnSync(process.execPath, [join(here, `${bench}.bench.mjs`)], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, BENCH_JSON: file } });
  if (run.status !== 0) failed.push(`${bench} (exit ${run.status})`);
}
const rows = readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
rmSync(dir, { recursive: true, force: true });

const fmt = (n, digits = 0) => (typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–');
const lines = [
  `Switchboard benchmarks, ${started.toISOString()}; node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'})`,
  '',
  '| bench | configuration | what the clock covers | rate | p50 ms | p99 ms | peak RSS MB | CPU µs/unit | checks | others % core |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.bench} | ${r.config} | ${r.covers} | ${fmt(r.rate)} ${r.unit}/s | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.rss)} | ${fmt(r.cpu)} | ${r.ok ? 'pass' : 'FAIL'}${r.note ? ` (${r.note})` : ''} | ${fmt(r.others)}${r.others > 10 ? ' DISTURBED' : ''} |`,
  ),
];
const table = lines.join('\n');
console.log(`\n${table}`);
writeFileSync(join(here, 'results.md'), `${table}\n`);
if (failed.length > 0 || rows.some((r) => !r.ok)) {
  console.log(`\nFAILED: ${[...failed, ...rows.filter((r) => !r.ok).map((r) => `${r.bench} ${r.config}`)].join(', ')}`);
  process.exitCode = 1;
}
