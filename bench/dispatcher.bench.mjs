// Dispatcher benchmark: commands end to end, as a person in a chat gets them. Each command goes
// receipt → parse → sender and tier check → handler → reply persisted in the outbox journal →
// delivered by the adapter (an in-memory one that answers at once), with the bridge's defaults
// (64 handlers at once, 30 s timeout, the outbox's defaults).
//
//   npm run bench            (builds first)
//   node bench/dispatcher.bench.mjs [--commands 100000] [--rate 20000] [--window 256] [--warmup 20000] [--only file:rate:1000] [--ops]
//   (stores: file, memory, redis — the last on a redis-server the run starts itself)
//
// --ops runs the bridge with the operations server (`http:`) as well: /metrics counting every
// outcome, the web console following deliveries, and a scrape of /metrics every --scrape-ms
// (1000; Prometheus' default is 60 s) from another process, so that its cost shows against the
// same run without it.
//
// The mix, by command number: 70% `echo N` (kind get), 20% `set level:N` (kind set, a setting),
// 10% `users` sent by users who are not admins, so the dispatcher refuses them for their tier.
// Every delivered reply is checked against the command it answers (same chat, the text that
// command must produce); a mismatch, a reply missing or a reply twice fails the run (exit 1).
//
// Two load models:
// - open loop ("offered"): commands arrive on a fixed schedule at --rate per second whatever the
//   bridge does, as independent chat users do; latency counts from each command's scheduled arrival,
//   so falling behind shows (no coordinated omission). If the bridge handled more than 2% above the
//   offered rate, the backlog of the warm-up was still draining: the row says "saturated".
// - saturation ("in flight"): a closed loop keeping --window commands in flight, to find the ceiling.
// Each configuration runs in its own process on one long-lived bridge; the first --warmup commands
// (same load) are not counted, and measuring starts once their replies are all delivered.
// Clock: this process's performance.now(). Printed latencies: receipt → delivered (what the person
// sees), and receipt → reply accepted by the outbox (durable), the dispatcher's own share.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Bridge, FileStore, MemoryStore } from '@switchboard/core';
import { MemoryAdapter } from '@switchboard/core/testing';
import { describeLoad, startLoadMonitor } from './machineLoad.mjs';
import { emitRows } from './report.mjs';
import { rowsFromOwnProcesses } from './ownProcess.mjs';
import { mainThreadCpuMicros } from './threadCpu.mjs';

const { values } = parseArgs({
  options: {
    commands: { type: 'string', default: '100000' },
    window: { type: 'string', default: '256' },
    rate: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '20000' },
    only: { type: 'string' },
    ops: { type: 'boolean', default: false },
    'scrape-ms': { type: 'string', default: '1000' },
  },
});
const measured = Number(values.commands);
const warmup = Number(values.warmup);
const window = Number(values.window);
const rate = Number(values.rate);
// redis: a redis-server of the run's own (Debian's, appendfsync always), started for it; its CPU counts as the benchmark's.
let redisServer;
const stores = {
  file: ['file (fsync)', (dir) => new FileStore({ dir })],
  memory: ['memory', () => new MemoryStore()],
  redis: [
    'redis (appendfsync always)',
    async () => {
      const [{ RedisStore }, { startRedis }] = await Promise.all([import('@switchboard/store-redis'), import('@switchboard/store-redis/testing')]);
      redisServer = await startRedis({ appendfsync: process.env.BENCH_APPENDFSYNC ?? 'always' });
      return new RedisStore({ url: redisServer.url });
    },
  ],
};

/** What command `i` is, and the reply it must get. */
function commandOf(i) {
  const r = i % 20;
  if (r < 14) return { text: `echo ${i}`, expect: String(i) };
  if (r < 18) return { text: `set level:${i}`, expect: `level = ${i}` };
  return { text: 'users', expect: '"users" needs admin or above; you are user.' };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(storeName, mode, userCount) {
  const [label, makeStore] = stores[storeName];
  const dir = await mkdtemp(join(tmpdir(), 'sb-bench-'));
  const adapter = new MemoryAdapter({ limits: { maxTextLength: 2000, sendRatePerSecond: Infinity }, record: false });
  const users = Array.from({ length: userCount }, (_, i) => ({ name: `u${i}`, tier: i === 0 ? 'root' : 'user', identities: [{ platform: 'memory', id: `u${i}` }] }));
  // Each simulated user sends far more than a person types (up to 2,000 commands a second): the
  // per-sender rate limit, which would refuse nearly all of it, is off here.
  const plugins = values.ops ? [{ plugin: (await import('@switchboard/ops')).opsPlugin, config: { http: { listen: '127.0.0.1:0' } } }] : [];
  const bridge = new Bridge({ store: await makeStore(dir), adapters: [adapter], users, limits: { userRate: 0 }, plugins });
  const total = warmup + measured;
  const arrivedAt = new Float64Array(total);
  const acceptedAt = new Float64Array(total);
  const deliveredAt = new Float64Array(total);
  const expected = new Array(total);
  const chatOf = (i) => `u${1 + (i % (userCount - 1 || 1))}`;
  let wrong = 0;
  let twice = 0;
  let delivered = 0;
  const enqueue = bridge.outbox.enqueue.bind(bridge.outbox);
  bridge.outbox.enqueue = async (message) => {
    const accepted = await enqueue(message);
    const k = message.replyContext?.k;
    if (k !== undefined) acceptedAt[k] = performance.now();
    return accepted;
  };
  let onDelivered = () => undefined;
  adapter.delivered$.subscribe((request) => {
    const k = request.replyContext?.k;
    if (k === undefined || request.text !== expected[k] || request.to.id !== chatOf(k)) {
      wrong++;
      return;
    }
    if (deliveredAt[k] !== 0) twice++;
    deliveredAt[k] = performance.now();
    delivered++;
    onDelivered();
  });
  await bridge.start();
  // Prometheus is another process: so is the scraper here, so that its client's work is not counted as the bridge's.
  // It is up and has scraped once before the load starts, so that its own start-up is not measured.
  let scraper;
  if (values.ops) {
    const url = JSON.stringify(`http://127.0.0.1:${bridge.services.get('ops').port}/metrics`);
    const scrape = `const scrape = () => fetch(${url}).then((r) => r.text(), () => '');`;
    scraper = spawn(process.execPath, ['-e', `${scrape} scrape().then(() => console.log('ready')); setInterval(scrape, ${Number(values['scrape-ms'])});`], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise((resolve) => scraper.stdout.once('data', resolve));
  }
  bridge.registry.register({ name: 'echo', kind: 'get', minTier: 'user', description: 'echo the argument', run: (ctx) => ctx.reply(ctx.argText) });
  bridge.registry.register({ name: 'level', kind: 'set', minTier: 'user', description: 'a setting', run: (ctx) => ctx.reply(`level = ${ctx.argText}`) });

  let injected = 0;
  const inject = (at) => {
    const i = injected++;
    const { text, expect } = commandOf(i);
    expected[i] = expect;
    arrivedAt[i] = at;
    // Not user 0: the root would be allowed `users`.
    adapter.inject({ id: `m${i}`, from: chatOf(i), text, replyContext: { k: i } });
  };
  /** Run commands [injected, end) with the load model; resolves once all their replies are delivered. */
  const phase = (end) =>
    new Promise((resolve) => {
      const first = injected;
      const count = end - first;
      const t0 = performance.now();
      const finished = () => delivered >= end;
      if (mode === 'window') {
        const pump = () => {
          while (injected < end && injected - delivered < window) inject(performance.now());
        };
        onDelivered = () => (finished() ? resolve(t0) : pump());
        pump();
      } else {
        onDelivered = () => finished() && resolve(t0);
        // Every 1 ms tick, inject what the schedule says has arrived by now, stamped with its
        // scheduled arrival time. (A setImmediate spin would steal the CPU it measures.)
        const schedule = () => {
          const due = first + Math.min(count, Math.floor(((performance.now() - t0) / 1000) * rate));
          while (injected < due) inject(t0 + ((injected - first) / rate) * 1000);
          if (injected < end) setTimeout(schedule, 1);
        };
        schedule();
      }
    });

  if (warmup > 0) await phase(warmup);
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const load = startLoadMonitor(redisServer ? [redisServer.process.pid] : []);
  const cpuBefore = process.cpuUsage();
  const mainBefore = mainThreadCpuMicros();
  // A run that cannot finish (a reply never delivered) stops after two minutes and reports what is missing.
  let giveUp;
  const t0 = await Promise.race([phase(total), new Promise((r) => (giveUp = setTimeout(() => r(undefined), 120_000)))]);
  clearTimeout(giveUp);
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  const mainCpu = mainThreadCpuMicros() - mainBefore;
  const machine = load.stop();
  clearInterval(sampler);
  loopDelay.disable();
  scraper?.kill();
  await bridge.stop();
  await rm(dir, { recursive: true, force: true });
  await redisServer?.stop();

  const toDelivery = [];
  const toAcceptance = [];
  let missing = 0;
  let firstArrival = Infinity;
  for (let i = warmup; i < total; i++) {
    firstArrival = Math.min(firstArrival, arrivedAt[i]);
    if (deliveredAt[i] === 0) {
      missing++;
      continue;
    }
    toDelivery.push(deliveredAt[i] - arrivedAt[i]);
    toAcceptance.push(acceptedAt[i] - arrivedAt[i]);
  }
  toDelivery.sort((a, b) => a - b);
  toAcceptance.sort((a, b) => a - b);
  const seconds = (t1 - (t0 ?? firstArrival)) / 1000;
  const perSecond = Math.round(toDelivery.length / seconds);
  const saturated = mode === 'rate' && perSecond > rate * 1.02;
  return {
    store: values.ops ? `${label} +ops` : label,
    load: mode === 'window' ? `${window} in flight` : `${rate}/s offered${saturated ? ' (SATURATED)' : ''}`,
    users: userCount,
    commands: measured,
    'commands/s': perSecond,
    'p50 ms': percentile(toDelivery, 50).toFixed(2),
    'p99 ms': percentile(toDelivery, 99).toFixed(2),
    'max ms': toDelivery.at(-1).toFixed(2),
    'accepted p99 ms': percentile(toAcceptance, 99).toFixed(2),
    wrong,
    missing,
    twice,
    'peak RSS MB': Math.round(peakRss / 2 ** 20),
    'loop lag max ms': (loopDelay.max / 1e6).toFixed(1),
    // All threads of the process (GC helpers and fsync included), until every reply was delivered.
    'CPU µs/cmd': Math.round((cpu.user + cpu.system) / measured),
    // The JavaScript thread alone (the load generator runs on it too).
    'main µs/cmd': Math.round(mainCpu / measured),
    'others % core': Math.round(machine.othersCores * 100),
    disturbed: machine.disturbed,
    clock: `${(seconds).toFixed(2)} s from the first measured arrival to the last delivery`,
    machine: describeLoad(machine),
  };
}

/** The configurations `npm run bench` runs. */
export const DispatcherRuns = ['file:rate:10', 'file:rate:1000', 'file:rate:10000', 'file:window:1000', 'memory:rate:1000', 'memory:window:1000'];

if (values.only) {
  const [storeName, mode, users] = values.only.split(':');
  process.stdout.write(JSON.stringify(await measure(storeName, mode, Number(users ?? 1000))) + '\n');
} else {
  const rows = rowsFromOwnProcesses(import.meta.url, values, DispatcherRuns);
  console.log(`node ${process.version}, ${cpus().length} cores; each row in its own process, after ${warmup} warm-up commands (measuring starts once their replies are delivered)`);
  console.log('path: receipt → parse → tier check → handler → reply in the outbox journal → delivered by an in-memory adapter; mix 70% echo, 20% set, 10% refused for tier');
  console.log('clock: this process; p50/p99/max: arrival → delivered; accepted p99: arrival → reply durable in the outbox. Bridge defaults throughout (64 handlers), except the per-sender rate limit (off: each simulated user sends hundreds of commands a second).');
  console.table(rows.map(({ clock: _c, machine: _m, disturbed: _d, ...row }) => row));
  for (const row of rows) console.log(`${row.store} ${row.load} ${row.users} users: ${row.clock}; ${row.machine}`);
  emitRows(
    rows.map((r) => ({
      bench: 'dispatcher',
      config: `${r.store}, ${r.load}, ${r.users} users`,
      covers: 'command received → reply delivered (mix: 70% get, 20% set, 10% refused)',
      rate: r['commands/s'],
      unit: 'commands',
      p50: Number(r['p50 ms']),
      p99: Number(r['p99 ms']),
      rss: r['peak RSS MB'],
      cpu: r['CPU µs/cmd'],
      ok: r.wrong === 0 && r.missing === 0 && r.twice === 0,
      others: r['others % core'],
    })),
  );
  if (rows.some((r) => r.wrong > 0 || r.missing > 0 || r.twice > 0)) {
    console.log('FAILED: a reply was wrong, missing or delivered twice');
    process.exitCode = 1;
  }
}
