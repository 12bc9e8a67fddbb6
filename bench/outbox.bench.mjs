// Outbox fan-out benchmark: the outbox alone, the way the relay uses it. Batches of --recipients
// messages (one text, distinct chats drawn from --chats, each addressed by a Destination) go to
// enqueueMany as fast as the outbox takes them (up to --inflight batches awaiting their journal
// flush), on the file store (fsync) and the memory store, delivered to an in-memory adapter.
//
//   npm run build && node bench/outbox.bench.mjs [--batches 20000] [--warmup 5000] [--recipients 15] [--chats 10000] [--inflight 512]
//
// Two paths, each store in its own process:
// - fan-out (the relay's): batches as above, through enqueueMany;
// - replies (the dispatcher's): one message per enqueue, each to its own chat with a replyContext.
// Load: at most --inflight calls awaiting acceptance and --inflight × --recipients messages
// accepted but not yet delivered.
// Printed per row: messages/s from the first enqueue to the last delivery, wall and CPU time per
// message (CPU covers every thread of the process: GC helpers and fsync included), peak RSS, and
// the peak of accepted, undelivered messages. The relay benchmark measures the whole
// path (feed, routing, outbox); this one isolates the outbox's share of it.
// Clock: this process's performance.now(), first enqueue of the measured phase → last delivery.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeLoad, startLoadMonitor } from './machineLoad.mjs';
import { rowsFromOwnProcesses } from './ownProcess.mjs';
import { emitRows } from './report.mjs';

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '5000' },
    recipients: { type: 'string', default: '15' },
    chats: { type: 'string', default: '10000' },
    inflight: { type: 'string', default: '512' },
    only: { type: 'string' },
  },
});
const [batches, warmup, recipients, chats, inflight] = ['batches', 'warmup', 'recipients', 'chats', 'inflight'].map((k) => {
  const n = Number(values[k]);
  if (!Number.isInteger(n) || n < (k === 'warmup' ? 0 : 1)) throw new RangeError(`--${k} takes a whole number${k === 'warmup' ? '' : ' above 0'}, got ${values[k]}`);
  return n;
});
if (recipients > chats) throw new RangeError(`--recipients (${recipients}) cannot exceed --chats (${chats})`);

async function measure(storeName, path) {
  const { FileStore, MemoryStore, Outbox } = await import('@switchboard/core');
  const { MemoryAdapter } = await import('@switchboard/core/testing');
  const dir = await mkdtemp(join(tmpdir(), 'sb-outbox-bench-'));
  // redis: a redis-server of the run's own (Debian's, appendfsync always); its CPU counts as the benchmark's.
  let redisServer;
  let store;
  if (storeName === 'redis') {
    const [{ RedisStore }, { startRedis }] = await Promise.all([import('@switchboard/store-redis'), import('@switchboard/store-redis/testing')]);
    redisServer = await startRedis();
    store = new RedisStore({ url: redisServer.url });
  } else store = storeName === 'file' ? new FileStore({ dir }) : new MemoryStore();
  await store.open?.();
  const adapter = new MemoryAdapter({ record: false });
  const outbox = new Outbox({ store });
  outbox.registerAdapter(adapter);
  await outbox.load();
  outbox.start();
  const destinations = Array.from({ length: chats }, (_, i) => outbox.destination({ platform: 'memory', kind: 'user', id: `u${i}` }));
  let seed = 1;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  let peakRss = process.memoryUsage.rss();
  let peakPending = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    peakPending = Math.max(peakPending, outbox.size);
  }, 20);

  // The load: at most --inflight calls awaiting acceptance, and at most --inflight × --recipients
  // messages accepted and not yet delivered. Without the second bound a store that accepts at once
  // (memory) would take the whole run in before delivering much, and measure that backlog.
  const maxUndelivered = inflight * recipients;
  /** Run `calls` calls of `call(i)` (each enqueueing `per` messages) under that load. */
  const drive = async (calls, per, call) => {
    let waiting = 0;
    let made = 0;
    const base = adapter.deliveredCount;
    let wake = () => undefined;
    const sub = adapter.delivered$.subscribe(() => wake());
    await new Promise((resolve) => {
      let scheduled = false;
      const pump = () => {
        scheduled = false;
        while (waiting < inflight && made < calls && made * per - (adapter.deliveredCount - base) < maxUndelivered) {
          waiting++;
          call(made++).then(() => {
            waiting--;
            again();
          });
        }
        if (made === calls && waiting === 0) resolve();
      };
      const again = () => {
        if (!scheduled) {
          scheduled = true;
          setImmediate(pump);
        }
      };
      wake = again;
      pump();
    });
    sub.unsubscribe();
    while (outbox.size > 0) await new Promise((r) => setTimeout(r, 1));
  };
  /** The reply path: single messages, each to its own chat with a replyContext. */
  const replies = (count) => drive(count, 1, (i) => outbox.enqueue({ to: destinations[i % chats], text: `reply ${i}`, replyContext: { msgId: `m${i}` } }));
  /** The relay's path: one text to --recipients distinct chats per call. */
  const fanOut = (count) =>
    drive(count, recipients, (i) => {
      const text = `dev-${i % 1000} is now warn (reading ${i})`;
      const picked = new Set();
      while (picked.size < recipients) picked.add(destinations[Math.floor(random() * chats)]);
      return outbox.enqueueMany([...picked].map((to) => ({ to, text, priority: 'normal' })));
    });

  const run = path === 'replies' ? (n) => replies(n * recipients) : fanOut;
  await run(warmup);
  const delivered0 = adapter.deliveredCount;
  peakPending = 0;
  const load = startLoadMonitor(redisServer ? [redisServer.process.pid] : []);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run(batches);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const machine = load.stop();
  clearInterval(sampler);
  const messages = adapter.deliveredCount - delivered0;
  await outbox.stop();
  await store.close?.();
  await rm(dir, { recursive: true, force: true });
  await redisServer?.stop();
  return {
    store: { file: 'file (fsync)', memory: 'memory', redis: 'redis (appendfsync always)' }[storeName],
    path: path === 'replies' ? 'replies (1 per enqueue)' : `fan-out (${recipients} per batch)`,
    messages,
    'messages/s': Math.round((messages / ms) * 1000),
    'wall µs/msg': ((ms * 1000) / messages).toFixed(2),
    'CPU µs/msg': ((cpu.user + cpu.system) / messages).toFixed(2),
    'peak RSS MB': Math.round(peakRss / 2 ** 20),
    'peak pending': peakPending,
    'others % core': Math.round(machine.othersCores * 100),
    machine: describeLoad(machine),
  };
}

if (values.only) {
  const [storeName, path = 'fanout'] = values.only.split(':');
  process.stdout.write(JSON.stringify(await measure(storeName, path)) + '\n');
} else {
  const rows = rowsFromOwnProcesses(import.meta.url, values, ['file:fanout', 'memory:fanout', 'file:replies', 'memory:replies']);
  console.log(
    `node ${process.version}, ${cpus().length} cores; batches of ${recipients} recipients from ${chats} chats, ` +
      `up to ${inflight} calls awaiting acceptance and ${inflight * recipients} messages undelivered; after ${warmup} warm-up batches (replies: as many messages)`,
  );
  console.log('clock: this process, first measured enqueue → last delivery; delivered to an in-memory adapter that answers at once; outbox defaults');
  console.table(rows.map(({ machine: _m, ...row }) => row));
  for (const row of rows) console.log(`${row.store} ${row.path}: ${row.machine}`);
  emitRows(
    rows.map((r) => ({
      bench: 'outbox',
      config: `${r.store}, ${r.path}`,
      covers: 'first enqueue → last delivered (outbox alone, in-memory adapter)',
      rate: r['messages/s'],
      unit: 'messages',
      rss: r['peak RSS MB'],
      cpu: Number(r['CPU µs/msg']),
      ok: r.messages === rows[0].messages,
      others: r['others % core'],
    })),
  );
}
