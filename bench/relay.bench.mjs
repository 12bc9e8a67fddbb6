// Relay benchmark: a local WebSocket feed (its own process) pushes 50,000 updates over 1,000 devices
// into a bridge with 10,000 users (each subscribed to 5 devices) and 20 routing rules. Notifications
// are accepted into the outbox (file store, fsync) and delivered to an in-memory adapter.
//
//   npm run build && node bench/relay.bench.mjs [--updates 50000] [--warmup 20000] [--devices 1000] [--users 10000] [--rate 12500] [--change 0.01,0.05,0.2] [--modes rate,saturate]
//
// Printed per run: updates/s processed, outbox messages/s accepted (persisted), p50/p99 feed→outbox
// latency (the feed sending the frame → every notification for it accepted), peak RSS, and the
// bridge's CPU time per update: all its threads, and its main (JavaScript) thread alone, which is
// what runs out first.
// Clock: the machine's monotonic clock (process.hrtime, CLOCK_MONOTONIC on Linux), which the feed
// and the bridge process read alike; each frame carries the time the feed sent it. A negative
// latency fails the run.
// The feed first pushes --warmup updates (same load, same mix) that are not counted: they bring the
// JIT and the heap to a steady state. Then it waits until the bridge has routed all of them and
// delivered every notification (the warm-up backlog drained), and only then pushes the measured
// updates, timed from the first of them. At a fixed rate, a run that processed more than 2% above
// the offered rate is marked "saturated": its figures are not a rate result. Peak RSS, heap and
// pending cover the whole run, warm-up included.
// For each P in --change, two runs: the feed pushing at a fixed rate (--rate updates/s, open loop),
// and the feed pushing as fast as the socket takes it (saturation); --modes picks either or both.
//
// The update mix: each update picks a random device; with probability P its state changes (to ok
// 60%, warn 30%, fail 10%), otherwise it repeats the current state, as telemetry does. A change
// reaches ~70 users, so at 12,500 updates/s P = 0.01, 0.05 and 0.2 offer about 9,000, 47,000 and
// 180,000 notifications per second to persist and deliver.
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeLoad, startLoadMonitor } from './machineLoad.mjs';
import { emitRows } from './report.mjs';
import { mainThreadCpuMicros } from './threadCpu.mjs';

const { values } = parseArgs({
  options: {
    updates: { type: 'string', default: '50000' },
    warmup: { type: 'string', default: '20000' },
    devices: { type: 'string', default: '1000' },
    users: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '12500' },
    change: { type: 'string', default: '0.01,0.05,0.2' },
    role: { type: 'string', default: 'main' },
    mode: { type: 'string', default: 'rate' },
    modes: { type: 'string', default: 'rate,saturate' },
  },
});
const measuredUpdates = Number(values.updates);
const warmup = Number(values.warmup);
/** What the feed pushes: the warm-up, then the measured updates. */
const totalUpdates = warmup + measuredUpdates;
const deviceCount = Number(values.devices);
const userCount = Number(values.users);
const rate = Number(values.rate);
/** One P per run in a feed or bridge process; the main process runs each P of the list in turn. */
const changeProbabilities = values.change.split(',').map(Number);
if (changeProbabilities.some((p) => !(p >= 0 && p <= 1))) throw new RangeError(`--change takes probabilities in [0, 1], got ${values.change}`);
const changeProbability = changeProbabilities[0];
const modes = values.modes.split(',');
if (modes.some((m) => m !== 'rate' && m !== 'saturate')) throw new RangeError(`--modes takes rate and/or saturate, got ${values.modes}`);
/** Milliseconds on CLOCK_MONOTONIC: one clock for the feed process and the bridge process. */
const now = () => Number(process.hrtime.bigint()) / 1e6;

if (values.role === 'feed') await runFeed();
else if (values.role === 'bridge') await runBridge();
else await main();

/** The feed process: a ws server that pushes the updates once a client says go. */
async function runFeed() {
  const { WebSocketServer } = await import('ws');
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('listening', () => process.send({ port: server.address().port }));
  const states = Array.from({ length: deviceCount }, () => 'ok');
  const severity = { ok: 'info', warn: 'warning', fail: 'critical' };
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const next = () => {
    const d = Math.floor(random() * deviceCount);
    if (random() < changeProbability) {
      const r = random();
      const candidate = r < 0.6 ? 'ok' : r < 0.9 ? 'warn' : 'fail';
      states[d] = candidate === states[d] ? (candidate === 'ok' ? 'warn' : 'ok') : candidate;
    }
    const state = states[d];
    // The send time rides in the text (the relay keeps it verbatim), on the shared monotonic clock.
    return { device: `dev-${d}`, kind: `kind-${d % 20}`, state, severity: severity[state], text: `${now()}` };
  };
  const measure = new Promise((resolve) => process.on('message', (m) => m?.measure && resolve()));
  server.on('connection', (socket) => {
    socket.once('message', () => {
      let sent = 0;
      const batch = 50;
      /** Push updates [sent, end) with the load model; resolves when they are all sent. */
      const phase = (end) =>
        new Promise((resolve) => {
          const first = sent;
          const t0 = now();
          const push = () => {
            if (values.mode === 'rate') {
              const due = Math.min(end, first + Math.floor(((now() - t0) / 1000) * rate));
              while (sent < due) {
                const n = Math.min(batch, due - sent);
                socket.send(JSON.stringify(Array.from({ length: n }, () => next())));
                sent += n;
              }
              if (sent < end) setTimeout(push, 1);
              else resolve();
            } else {
              // Saturation: keep the socket's buffer topped up, no faster than the relay reads it.
              while (sent < end && socket.bufferedAmount < 1 << 20) {
                const n = Math.min(batch, end - sent);
                socket.send(JSON.stringify(Array.from({ length: n }, () => next())));
                sent += n;
              }
              if (sent < end) setImmediate(push);
              else resolve();
            }
          };
          push();
        });
      void (async () => {
        await phase(warmup);
        // The measured updates start only once the bridge has drained the warm-up.
        await measure;
        await phase(totalUpdates);
      })();
    });
  });
}

/** The bridge process: relay + outbox on the file store, reporting figures to the parent. */
async function runBridge() {
  const { Bridge, FileStore } = await import('@switchboard/core');
  const { MemoryAdapter } = await import('@switchboard/core/testing');
  const { Relay, RelaySections, RouteSchema, FrameMappingSchema } = await import('@switchboard/relay');
  const port = Number(process.env.FEED_PORT);
  const dir = await mkdtemp(join(tmpdir(), 'sb-relay-bench-'));
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const users = Array.from({ length: userCount }, (_, i) => ({
    name: `u${i}`,
    tier: i < 10 ? 'root' : i < 110 ? 'admin' : 'user',
    identities: [{ platform: 'memory', id: `u${i}` }],
    subscriptions: Array.from({ length: 5 }, () => `dev-${Math.floor(random() * deviceCount)}`),
  }));
  // 20 rules: critical to admins (continue), 18 per-topic rules for followers (warnings and up,
  // plus resolves via the relay's resolve routing), and a catch-all that lets users see the rest.
  const routes = [
    { name: 'critical to admins', match: { severity: 'critical' }, notify: { tier: 'admin' }, continue: true },
    ...Array.from({ length: 18 }, (_, k) => ({ name: `kind-${k}`, match: { topic: `kind-${k}`, severity: 'warning' }, subscribers: 'user' })),
    { name: 'the rest, visible to users', match: {}, subscribers: 'user' },
  ].map((r) => RouteSchema.parse(r));
  const adapter = new MemoryAdapter({ record: false });
  const relay = new Relay({
    feeds: [
      {
        type: 'websocket',
        name: 'bench',
        url: `ws://127.0.0.1:${port}`,
        onOpen: [{ go: true }],
        mapping: FrameMappingSchema.parse({ device: 'device', state: 'state', severity: 'severity', text: 'text', topic: 'kind', normal: ['ok'] }),
        ping: 25_000,
        backoff: { base: 1000, max: 60_000 },
        headers: undefined,
      },
    ].map(({ headers: _h, ...f }) => f),
    routes,
    // Flap damping off: every device here changes several times a second on purpose.
    relay: RelaySections.relay.parse({ startJitter: 0, flap: false }),
  });
  const bridge = new Bridge({ store: new FileStore({ dir }), adapters: [adapter], users, plugins: [relay] });
  const latencies = new Float64Array(measuredUpdates);
  let seen = 0;
  let news = 0;
  let messages = 0;
  let allMessages = 0;
  let firstAt = 0;
  /** When the last warm-up update was routed: the measured phase starts there. */
  let measuredFrom = 0;
  let cpuFrom = process.cpuUsage();
  let mainFrom = mainThreadCpuMicros();
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  let peakRss = process.memoryUsage.rss();
  let peakHeap = 0;
  let peakPending = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    peakPending = Math.max(peakPending, bridge.outbox.size);
  }, 50);
  let negative = 0;
  let lastRoutedAt = 0;
  const warmedUp = async () => {
    while (adapter.deliveredCount < allMessages) await new Promise((r) => setTimeout(r, 5));
    cpuFrom = process.cpuUsage();
    mainFrom = mainThreadCpuMicros();
    loopDelay.reset();
    process.send({ warmedUp: true });
  };
  const done = new Promise((resolve) => {
    relay.routed$.subscribe(({ update, news: isNews, recipients }) => {
      const i = seen++;
      const at = now();
      if (i === 0) firstAt = at;
      allMessages += recipients.length;
      if (i < warmup) {
        if (i === warmup - 1) void warmedUp();
        return;
      }
      const sentAt = Number(update.text);
      if (i === warmup) measuredFrom = sentAt;
      const latency = at - sentAt;
      if (latency < 0) negative++;
      latencies[i - warmup] = latency;
      lastRoutedAt = at;
      if (isNews) news++;
      messages += recipients.length;
      if (seen === totalUpdates) resolve();
    });
  });
  await bridge.start();
  const t0 = now();
  if (warmup === 0) void warmedUp();
  await done;
  const start = warmup > 0 ? measuredFrom : Math.min(t0, firstAt);
  const seconds = (lastRoutedAt - start) / 1000;
  clearInterval(sampler);
  while (adapter.deliveredCount < allMessages) await new Promise((r) => setTimeout(r, 10));
  const deliveredSeconds = (now() - start) / 1000;
  const cpu = process.cpuUsage(cpuFrom);
  const mainCpu = mainThreadCpuMicros() - mainFrom;
  await bridge.stop();
  await rm(dir, { recursive: true, force: true });
  latencies.sort();
  const pct = (p) => latencies[Math.min(measuredUpdates - 1, Math.floor((p / 100) * measuredUpdates))];
  const perSecond = Math.round(measuredUpdates / seconds);
  const saturated = values.mode === 'rate' && perSecond > rate * 1.02;
  process.send({
    load: values.mode === 'rate' ? `${rate}/s offered${saturated ? ' (SATURATED)' : ''}` : 'flat out',
    updates: measuredUpdates,
    'news': news,
    'updates/s': perSecond,
    'outbox msgs': messages,
    'outbox msgs/s': Math.round(messages / seconds),
    'p50 ms': pct(50).toFixed(2),
    'p99 ms': pct(99).toFixed(2),
    'all delivered s': deliveredSeconds.toFixed(2),
    'peak RSS MB': Math.round(peakRss / 2 ** 20),
    'peak heap MB': Math.round(peakHeap / 2 ** 20),
    'peak pending': peakPending,
    'loop lag max ms': (loopDelay.max / 1e6).toFixed(1),
    // The bridge process's threads (GC helpers and fsync included) until every message was delivered.
    'CPU µs/update': Math.round((cpu.user + cpu.system) / measuredUpdates),
    // The JavaScript thread alone: what limits throughput (10 ms ticks over a run of seconds).
    'main thread µs/update': Math.round(mainCpu / measuredUpdates),
    negative,
    clock: `${seconds.toFixed(2)} s from the feed sending the first measured update to the last one routed`,
  });
}

async function main() {
  const self = fileURLToPath(import.meta.url);
  const args = (p, extra) => ['--updates', String(measuredUpdates), '--warmup', String(warmup), '--devices', String(deviceCount), '--users', String(userCount), '--rate', String(rate), '--change', String(p), ...extra];
  const rows = [];
  for (const p of changeProbabilities) for (const mode of modes) {
    const feed = fork(self, args(p, ['--role', 'feed', '--mode', mode]), { stdio: 'inherit' });
    const { port } = await new Promise((resolve) => feed.once('message', resolve));
    const bridge = fork(self, args(p, ['--role', 'bridge', '--mode', mode]), { stdio: 'inherit', env: { ...process.env, FEED_PORT: String(port) } });
    const load = startLoadMonitor([feed.pid, bridge.pid]);
    const row = await new Promise((resolve) =>
      bridge.on('message', (m) => {
        if (m.warmedUp) feed.send({ measure: true });
        else resolve(m);
      }),
    );
    const machine = load.stop();
    rows.push({ P: p, ...row, 'others % core': Math.round(machine.othersCores * 100), machine: describeLoad(machine) });
    await new Promise((resolve) => bridge.once('exit', resolve));
    feed.kill();
  }
  console.log(
    `node ${process.version}, ${cpus().length} cores; ${deviceCount} devices, ${userCount} users × 5 subscriptions, 20 rules; ` +
      `P = share of updates that change a device's state; feed and bridge in separate processes; file store (fsync); ` +
      `after ${warmup} warm-up updates`,
  );
  console.log('clock: the machine\'s monotonic clock, read by the feed and the bridge process; latency: the feed sending a frame → every notification for it accepted (durable) by the outbox');
  console.log('changed from the defaults: relay.startJitter 0 (default 2 s); the in-memory adapter answers every send at once');
  console.table(rows.map(({ clock: _c, machine: _m, ...row }) => row));
  for (const row of rows) console.log(`P ${row.P} ${row.load}: ${row.clock}; ${row.machine}`);
  emitRows(
    rows.map((r) => ({
      bench: 'relay',
      config: `P ${r.P}, ${r.load}, ${userCount} users`,
      covers: 'feed sends a frame → its notifications durable in the outbox',
      rate: r['updates/s'],
      unit: 'updates',
      p50: Number(r['p50 ms']),
      p99: Number(r['p99 ms']),
      rss: r['peak RSS MB'],
      cpu: r['CPU µs/update'],
      ok: r.negative === 0,
      note: `${r['outbox msgs/s']} notifications/s`,
      others: r['others % core'],
    })),
  );
  if (rows.some((r) => r.negative > 0)) {
    console.log('FAILED: a negative latency means the two clocks disagree');
    process.exitCode = 1;
  }
}
