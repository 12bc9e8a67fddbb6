// QQ adapter benchmark: a fake QQ platform (gateway + REST, on 127.0.0.1, in this process) injects
// 10,000 messages from 200 one-to-one chats into a bridge running an echo command, and checks every
// reply reached the REST side once. Run once clean and once with faults injected during the run:
// op 7 (reconnect), a 4009 close (resume), a half-open socket (heartbeats stop being acknowledged),
// and a duplicated event.
//
//   npm run build && node bench/qq.bench.mjs [--messages 10000] [--chats 200] [--rate 2000]
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Bridge, FileStore } from '@switchboard/core';
import { FakeGateway, FakeQqHttp, QqAdapter, QqConfigSchema } from '@switchboard/adapter-qq';

const { values } = parseArgs({
  options: { messages: { type: 'string', default: '10000' }, chats: { type: 'string', default: '200' }, rate: { type: 'string', default: '2000' } },
});
const total = Number(values.messages);
const chats = Number(values.chats);
const rate = Number(values.rate);
const secret = 'bench-secret-0123456789';

async function run(faults) {
  const http = new FakeQqHttp('10001', secret);
  await http.start();
  const gateway = new FakeGateway();
  gateway.heartbeatInterval = 200;
  await gateway.start();
  http.gatewayUrl = gateway.url;
  const dir = await mkdtemp(join(tmpdir(), 'sb-qq-bench-'));
  const adapter = new QqAdapter({
    config: QqConfigSchema.parse({ appId: '10001', secret, apiBase: http.base, tokenUrl: `${http.base}/app/getAppAccessToken`, sendRate: 1000 }),
    backoff: { baseMs: 50, maxMs: 500 },
  });
  const users = Array.from({ length: chats }, (_, i) => ({ name: `u${i}`, tier: 'user', identities: [{ platform: 'qq', id: `U${i}` }] }));
  const bridge = new Bridge({ store: new FileStore({ dir }), adapters: [adapter], users, outbox: { retryBaseMs: 20, retryMaxMs: 200 } });
  await bridge.start();
  bridge.registry.register({ name: 'echo', kind: 'get', minTier: 'user', description: 'echo', run: (ctx) => ctx.reply(ctx.argText) });
  while (!gateway.current?.received.some((p) => p.op === 2)) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 50));

  const injectedAt = new Float64Array(total);
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  const faultAt = faults ? { op7: Math.floor(total * 0.2), close: Math.floor(total * 0.4), dup: Math.floor(total * 0.5), halfOpen: Math.floor(total * 0.7) } : {};
  const t0 = performance.now();
  let injected = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
      while (injected < due) {
        const k = injected++;
        const id = `M${k}`;
        http.issueMsgId(id);
        injectedAt[k] = performance.now();
        gateway.dispatch('C2C_MESSAGE_CREATE', { id, content: `echo ${k}`, timestamp: new Date().toISOString(), author: { user_openid: `U${k % chats}` } });
        if (k === faultAt.op7) gateway.op(7);
        if (k === faultAt.close) gateway.close(4009);
        if (k === faultAt.dup) gateway.dispatch('C2C_MESSAGE_CREATE', { id: `M${k - 5}`, content: `echo ${k - 5}`, author: { user_openid: `U${(k - 5) % chats}` } });
        if (k === faultAt.halfOpen) {
          gateway.ackHeartbeats = false;
          const before = gateway.connections.length;
          const restore = setInterval(() => {
            if (gateway.connections.length > before) {
              gateway.ackHeartbeats = true;
              clearInterval(restore);
            }
          }, 10);
        }
      }
      if (injected < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  // Wait for every reply (or give up after 60 s of no progress).
  const seen = new Map();
  let last = 0;
  let stalledSince = performance.now();
  for (;;) {
    for (; last < http.sent.length; last++) {
      const entry = http.sent[last];
      for (const text of String(entry.body.content).split('\n\n')) {
        const k = Number(text);
        if (!Number.isInteger(k)) continue;
        const first = seen.get(k);
        seen.set(k, first ? { ...first, count: first.count + 1 } : { at: entry.at, count: 1 });
      }
      stalledSince = performance.now();
    }
    if (seen.size >= total || performance.now() - stalledSince > 60_000) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const latencies = [...seen.entries()].map(([k, v]) => v.at - injectedAt[k]).sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  const row = {
    run: faults ? 'faults (op 7, 4009, dup, half-open)' : 'clean',
    messages: total,
    chats,
    'replies/s': Math.round(seen.size / seconds),
    'REST sends': http.sent.length,
    'p50 ms': pct(50).toFixed(1),
    'p99 ms': pct(99).toFixed(1),
    missing: total - seen.size,
    duplicated: [...seen.values()].filter((v) => v.count > 1).length,
    'gateway connections': gateway.connections.length,
    'peak RSS MB': Math.round(peakRss / 2 ** 20),
  };
  await bridge.stop();
  await gateway.stop();
  await http.stop();
  await rm(dir, { recursive: true, force: true });
  return row;
}

const rows = [await run(false), await run(true)];
console.log(`node ${process.version}, ${cpus().length} cores; ${rate} messages/s offered; file store (fsync); fake platform in this process`);
console.table(rows);
