// Flood benchmark: fair service in one group while one person floods it.
//
//   npm run build && node bench/flood.bench.mjs [--flood 10000] [--others 10] [--seconds 15] [--pace 20]
//
// One group chat on an in-memory adapter paced at --pace sends a second (the platform's limit for
// one chat is of that order). One user (tier user) sends --flood commands into it as fast as the
// process can inject them; meanwhile --others other users each send one `echo` every 1.5 s for
// --seconds seconds, at random offsets. Bridge defaults throughout (per-sender rate limit 1 a second,
// burst 10; queue cap 256; file store with fsync).
// Printed: the other people's replies, arrival → delivered, p50/p99/max; whether each reply answered
// its own message (its token) and none is missing; how many flood commands ran and how many notices
// the flooder got; peak heap growth. Target: p99 of the other people's replies under 1 s. The run
// exits 1 when the target or a check fails.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Bridge, FileStore } from '@switchboard/core';
import { MemoryAdapter } from '@switchboard/core/testing';
import { describeLoad, startLoadMonitor } from './machineLoad.mjs';
import { emitRows } from './report.mjs';

const { values } = parseArgs({
  options: {
    flood: { type: 'string', default: '10000' },
    others: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '15' },
    pace: { type: 'string', default: '20' },
  },
});
const flood = Number(values.flood);
const others = Number(values.others);
const seconds = Number(values.seconds);
const pace = Number(values.pace);
const group = { platform: 'memory', kind: 'group', id: 'ops' };

const dir = await mkdtemp(join(tmpdir(), 'sb-flood-'));
const adapter = new MemoryAdapter({ limits: { maxTextLength: 2000, sendRatePerSecond: pace, sendBurst: 1 } });
const people = Array.from({ length: others }, (_, i) => `p${i}`);
const bridge = new Bridge({
  store: new FileStore({ dir }),
  adapters: [adapter],
  users: [
    { name: 'mallory', tier: 'user', identities: [{ platform: 'memory', id: 'mallory' }] },
    ...people.map((name) => ({ name, tier: 'user', identities: [{ platform: 'memory', id: name }] })),
  ],
});
await bridge.start();
bridge.registry.register({ name: 'echo', kind: 'get', minTier: 'user', description: 'echo', run: (ctx) => ctx.reply(ctx.argText) });

const sentAt = new Map();
const latencies = [];
let wrong = 0;
let floodReplies = 0;
let notices = 0;
adapter.delivered$.subscribe((request) => {
  const token = /^tok-(p\d+)-(\d+)$/.exec(request.text);
  if (token) {
    const at = sentAt.get(request.text);
    if (at === undefined) wrong++;
    else {
      latencies.push(performance.now() - at);
      sentAt.delete(request.text);
    }
  } else if (request.text.startsWith('flood-')) floodReplies++;
  else if (request.text.startsWith('You are sending commands faster')) notices++;
  else wrong++;
});

const heap0 = process.memoryUsage().heapUsed;
let peakHeap = heap0;
const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 50);
const load = startLoadMonitor();
let expected = 0;
const timers = [];
for (const person of people) {
  const offset = Math.random() * 1500;
  for (let k = 0, at = offset; at < seconds * 1000; k++, at += 1500) {
    expected++;
    timers.push(
      setTimeout(() => {
        const text = `tok-${person}-${k}`;
        sentAt.set(text, performance.now());
        adapter.inject({ from: person, text: `echo ${text}`, chat: group, mentionsBot: true });
      }, at),
    );
  }
}
// The flood, as fast as the process takes it, in slices so the timers above still fire on time.
for (let i = 0; i < flood; i += 500) {
  for (let j = i; j < Math.min(flood, i + 500); j++) adapter.inject({ from: 'mallory', text: `echo flood-${j}`, chat: group, mentionsBot: true });
  await new Promise((r) => setImmediate(r));
}
await new Promise((r) => setTimeout(r, seconds * 1000 + 200));
const deadline = performance.now() + 30_000;
while (latencies.length + wrong < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
const machine = load.stop();
clearInterval(sampler);
for (const t of timers) clearTimeout(t);
await bridge.stop();
await rm(dir, { recursive: true, force: true });

latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
const missing = expected - latencies.length;
const p99 = pct(99);
const ok = missing === 0 && wrong === 0 && p99 < 1000;
const row = {
  flood,
  'others × replies': `${others} × ${expected / others}`,
  'pace /s': pace,
  'p50 ms': pct(50).toFixed(1),
  'p99 ms': p99.toFixed(1),
  'max ms': (latencies.at(-1) ?? NaN).toFixed(1),
  missing,
  wrong,
  'flood run': floodReplies,
  notices,
  'heap growth MB': Math.round((peakHeap - heap0) / 2 ** 20),
  'others % core': Math.round(machine.othersCores * 100),
  target: ok ? 'met (p99 < 1 s)' : 'NOT MET',
};
console.log(`node ${process.version}, ${cpus().length} cores; one group chat paced at ${pace} sends/s; one person floods ${flood} commands, ${others} others send one each 1.5 s for ${seconds} s; bridge defaults (file store)`);
console.log('clock: this process; latency: another person’s message arriving → its reply delivered');
console.table([row]);
console.log(describeLoad(machine));
emitRows([
  {
    bench: 'flood',
    config: `${flood} commands from one person, ${others} others, ${pace} sends/s`,
    covers: 'another person’s message → its reply delivered, during the flood',
    rate: expected,
    unit: 'other replies',
    p50: pct(50),
    p99,
    ok,
    others: Math.round(machine.othersCores * 100),
    note: `${floodReplies} flood commands run, ${notices} notice(s)`,
  },
]);
process.exitCode = ok ? 0 : 1;
