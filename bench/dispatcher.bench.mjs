// Dispatcher benchmark: 100k commands from 1,000 users through an in-memory adapter, measuring
// receipt → outbox acceptance (the reply persisted in the journal, fsync included on the file store).
//
//   npm run bench            (builds first)
//   node bench/dispatcher.bench.mjs [--commands 100000] [--users 1000] [--rate 20000] [--window 256] [--warmup 20000]
//
// Two load models, each on the file store (fsync) and the memory store:
// - open loop ("offered"): commands arrive on a fixed schedule at --rate per second whatever the bridge
//   does, as independent chat users do. Latency is measured from each command's scheduled arrival, so
//   falling behind shows in the figures (no coordinated omission).
// - saturation ("in flight"): a closed loop keeping --window commands in flight, to find the ceiling.
//
// Each configuration runs in its own process on one long-lived bridge: the first --warmup commands
// (same load model) bring the JIT and heap to a steady state and are not counted.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Bridge, FileStore, MemoryAdapter, MemoryStore } from '@switchboard/core';
import { rowsFromOwnProcesses } from './ownProcess.mjs';
import { mainThreadCpuMicros } from './threadCpu.mjs';

const { values } = parseArgs({
  options: {
    commands: { type: 'string', default: '100000' },
    users: { type: 'string', default: '1000' },
    window: { type: 'string', default: '256' },
    rate: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '20000' },
    only: { type: 'string' },
  },
});
const measured = Number(values.commands);
const warmup = Number(values.warmup);
const userCount = Number(values.users);
const window = Number(values.window);
const rate = Number(values.rate);
const stores = {
  file: ['file (fsync)', (dir) => new FileStore({ dir })],
  memory: ['memory', () => new MemoryStore()],
};

/** Drive `count` commands through the bridge with the given load model; returns per-command latencies. */
async function phase(adapter, state, count, mode) {
  const first = state.injected;
  const end = first + count;
  const latencies = new Float64Array(count);
  let accepted = 0;
  let resolveDone;
  const done = new Promise((r) => (resolveDone = r));
  state.onAccepted = (n, ms) => {
    latencies[accepted++] = ms;
    if (mode === 'window') pump();
    if (accepted === count) resolveDone();
  };
  const inject = (at) => {
    const i = state.injected++;
    state.injectedAt[i] = at;
    adapter.inject({ id: `m${i}`, from: `u${i % userCount}`, text: `echo ${i}` });
  };
  const pump = () => {
    while (state.injected < end && state.injected - first - accepted < window) inject(performance.now());
  };
  const t0 = performance.now();
  // Open loop: every 1 ms tick, inject what the schedule says has arrived by now, stamped with its
  // scheduled arrival time. (A setImmediate spin would steal the CPU it measures.)
  const schedule = () => {
    const due = first + Math.min(count, Math.floor(((performance.now() - t0) / 1000) * rate));
    while (state.injected < due) inject(t0 + ((state.injected - first) / rate) * 1000);
    if (state.injected < end) setTimeout(schedule, 1);
  };
  if (mode === 'window') pump();
  else schedule();
  await done;
  return { latencies, seconds: (performance.now() - t0) / 1000, t0 };
}

async function measure(storeName, mode) {
  const [label, makeStore] = stores[storeName];
  const dir = await mkdtemp(join(tmpdir(), 'sb-bench-'));
  const adapter = new MemoryAdapter({ limits: { maxTextLength: 2000, sendRatePerSecond: Infinity }, record: false });
  const users = Array.from({ length: userCount }, (_, i) => ({
    name: `u${i}`,
    tier: i === 0 ? 'root' : 'user',
    identities: [{ platform: 'memory', id: `u${i}` }],
  }));
  const bridge = new Bridge({ store: makeStore(dir), adapters: [adapter], users, concurrency: 256 });
  await bridge.start();
  const state = { injected: 0, injectedAt: new Float64Array(warmup + measured), onAccepted: undefined };
  bridge.registry.register({
    name: 'echo',
    kind: 'get',
    minTier: 'user',
    description: 'echo the argument',
    run: async (ctx) => {
      await ctx.reply(ctx.argText);
      const n = Number(ctx.message.id.slice(1));
      state.onAccepted(n, performance.now() - state.injectedAt[n]);
    },
  });

  if (warmup > 0) await phase(adapter, state, warmup, mode);
  const deliveredBefore = adapter.deliveredCount;
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const cpuBefore = process.cpuUsage();
  const mainBefore = mainThreadCpuMicros();
  const { latencies, seconds, t0 } = await phase(adapter, state, measured, mode);
  while (adapter.deliveredCount - deliveredBefore < measured) await new Promise((r) => setTimeout(r, 5));
  const deliveredSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const mainCpu = mainThreadCpuMicros() - mainBefore;
  clearInterval(sampler);
  loopDelay.disable();
  await bridge.stop();
  await rm(dir, { recursive: true, force: true });

  latencies.sort();
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  return {
    store: label,
    load: mode === 'window' ? `${window} in flight` : `${rate}/s offered`,
    commands: measured,
    users: userCount,
    'commands/s': Math.round(measured / seconds),
    'p50 ms': pct(50).toFixed(2),
    'p99 ms': pct(99).toFixed(2),
    'max ms': latencies[latencies.length - 1].toFixed(2),
    'all delivered s': deliveredSeconds.toFixed(2),
    'peak RSS MB': Math.round(peakRss / 2 ** 20),
    'loop lag max ms': (loopDelay.max / 1e6).toFixed(1),
    // All threads of the process (GC helpers and fsync included), until every reply was delivered.
    'CPU µs/cmd': Math.round((cpu.user + cpu.system) / measured),
    'of which system': Math.round(cpu.system / measured),
    // The JavaScript thread alone (the load generator runs on it too).
    'main thread µs/cmd': Math.round(mainCpu / measured),
  };
}

if (values.only) {
  const [storeName, mode] = values.only.split(':');
  process.stdout.write(JSON.stringify(await measure(storeName, mode)) + '\n');
} else {
  const rows = rowsFromOwnProcesses(import.meta.url, values, ['file:rate', 'memory:rate', 'file:window', 'memory:window']);
  console.log(`node ${process.version}, ${cpus().length} cores; each row in its own process, after ${warmup} warm-up commands`);
  console.table(rows);
}
