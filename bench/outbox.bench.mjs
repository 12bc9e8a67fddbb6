// Outbox fan-out benchmark: the outbox alone, the way the relay uses it. Batches of --recipients
// messages (one text, distinct chats drawn from --chats, each addressed by a Destination) go to
// enqueueMany as fast as the outbox takes them (up to --inflight batches awaiting their journal
// flush), on the file store (fsync) and the memory store, delivered to an in-memory adapter.
//
//   npm run build && node bench/outbox.bench.mjs [--batches 20000] [--warmup 5000] [--recipients 15] [--chats 10000] [--inflight 512]
//
// Printed per store: messages/s accepted and delivered, wall and CPU time per message (CPU covers
// every thread of the process: GC helpers and fsync included), peak RSS. Each store runs in its
// own process. The relay benchmark measures the whole path (feed, routing, outbox); this one
// isolates the outbox's share of it.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { rowsFromOwnProcesses } from './ownProcess.mjs';

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

async function measure(storeName) {
  const { FileStore, MemoryAdapter, MemoryStore, Outbox } = await import('@switchboard/core');
  const dir = await mkdtemp(join(tmpdir(), 'sb-outbox-bench-'));
  const store = storeName === 'file' ? new FileStore({ dir }) : new MemoryStore();
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
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);

  const run = async (count) => {
    let waiting = 0;
    let sent = 0;
    await new Promise((resolve) => {
      const pump = () => {
        while (waiting < inflight && sent < count) {
          const text = `dev-${sent % 1000} is now warn (reading ${sent})`;
          const picked = new Set();
          while (picked.size < recipients) picked.add(destinations[Math.floor(random() * chats)]);
          waiting++;
          sent++;
          outbox.enqueueMany([...picked].map((to) => ({ to, text, priority: 'normal' }))).then(() => {
            waiting--;
            if (sent < count) setImmediate(pump);
            else if (waiting === 0) resolve();
          });
        }
      };
      pump();
    });
    while (outbox.size > 0) await new Promise((r) => setTimeout(r, 1));
  };

  await run(warmup);
  const delivered0 = adapter.deliveredCount;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run(batches);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  const messages = adapter.deliveredCount - delivered0;
  await outbox.stop();
  await store.close?.();
  await rm(dir, { recursive: true, force: true });
  return {
    store: storeName === 'file' ? 'file (fsync)' : 'memory',
    batches,
    messages,
    'messages/s': Math.round((messages / ms) * 1000),
    'wall µs/msg': ((ms * 1000) / messages).toFixed(2),
    'CPU µs/msg': ((cpu.user + cpu.system) / messages).toFixed(2),
    'peak RSS MB': Math.round(peakRss / 2 ** 20),
  };
}

if (values.only) {
  process.stdout.write(JSON.stringify(await measure(values.only)) + '\n');
} else {
  const rows = rowsFromOwnProcesses(import.meta.url, values, ['file', 'memory']);
  console.log(
    `node ${process.version}, ${cpus().length} cores; batches of ${recipients} recipients from ${chats} chats, ` +
      `up to ${inflight} batches awaiting acceptance; after ${warmup} warm-up batches`,
  );
  console.table(rows);
}
