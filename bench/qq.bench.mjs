// QQ adapter benchmark: what people in busy chats get. A fake QQ platform (gateway + REST on
// 127.0.0.1, in this process, as strict as the platform: a reply's msg_id must be a message of that
// chat inside its window, no msg_seq twice, at most 5 replies a message, at most 5 sends a second
// per chat) carries messages from --chats chats (half groups of three members, half one-to-one),
// each writing about --per-chat messages a second with second-precision timestamps, into a bridge
// running an echo command. Every reply is checked against the message it answers:
//   missing      a message that got no reply
//   duplicated   a message answered more than once
//   misdirected  a reply carrying another message's msg_id, or several answers joined in one
// Run once clean and once with faults during the run: op 7 (reconnect), a 4009 close (resume), a
// half-open socket (heartbeats stop being acknowledged) and a duplicated event.
//
// Clock: this process's performance.now(), from the moment the fake gateway sends a message to the
// moment the fake REST endpoint receives its reply. Defaults of the bridge are the user's, except
// the outbox's retry backoff (20 ms to 200 ms instead of 1 s to 5 min), so that a fault's retries
// show in seconds.
//
//   npm run bench:qq
//   node bench/qq.bench.mjs [--messages 10000] [--chats 200] [--per-chat 5] [--latency 0]
// Exits 1 when a run has a missing, duplicated or misdirected reply.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Bridge, FileStore } from '@switchboard/core';
import { QqAdapter, QqConfigSchema } from '@switchboard/adapter-qq';
import { FakeGateway, FakeQqHttp } from '@switchboard/adapter-qq/testing';
import { describeLoad, startLoadMonitor } from './machineLoad.mjs';
import { emitRows } from './report.mjs';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '10000' },
    chats: { type: 'string', default: '200' },
    'per-chat': { type: 'string', default: '5' },
    latency: { type: 'string', default: '0' },
    only: { type: 'string' },
  },
});
const total = Number(values.messages);
const chatCount = Number(values.chats);
const perChat = Number(values['per-chat']);
const latencyMs = Number(values.latency);
const secret = 'bench-secret-0123456789';
const membersPerGroup = 3;

/** Chat c: even numbers are one-to-one chats, odd ones groups. */
function chatOf(c) {
  return c % 2 === 0 ? { kind: 'user', id: `U${c}` } : { kind: 'group', id: `G${c}` };
}

/** Whole seconds, as the platform stamps messages. */
function secondStamp() {
  return new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', '+00:00');
}

function percentile(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function run(faults) {
  const http = new FakeQqHttp('10001', secret);
  http.latencyMs = latencyMs;
  await http.start();
  const gateway = new FakeGateway();
  gateway.heartbeatInterval = 200;
  await gateway.start();
  http.gatewayUrl = gateway.url;
  const dir = await mkdtemp(join(tmpdir(), 'sb-qq-bench-'));
  const adapter = new QqAdapter({
    config: QqConfigSchema.parse({ appId: '10001', secret, apiBase: http.base, tokenUrl: `${http.base}/app/getAppAccessToken` }),
    backoff: { baseMs: 50, maxMs: 500 },
  });
  const users = [];
  for (let c = 0; c < chatCount; c++) {
    const chat = chatOf(c);
    if (chat.kind === 'user') users.push({ name: `u${c}`, tier: 'user', identities: [{ platform: 'qq', id: chat.id }] });
    else for (let m = 0; m < membersPerGroup; m++) users.push({ name: `g${c}m${m}`, tier: 'user', identities: [{ platform: 'qq', id: `G${c}M${m}` }] });
  }
  // Simulated people write faster than people do: the per-sender rate limit is off here.
  const bridge = new Bridge({ store: new FileStore({ dir }), adapters: [adapter], users, outbox: { retryBaseMs: 20, retryMaxMs: 200 }, limits: { userRate: 0 } });
  await bridge.start();
  bridge.registry.register({ name: 'echo', kind: 'get', minTier: 'user', description: 'echo', run: (ctx) => ctx.reply(ctx.argText) });
  while (!gateway.current?.received.some((p) => p.op === 2)) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 50));

  const injectedAt = new Float64Array(total);
  const chatOfMessage = new Int32Array(total);
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  const faultAt = faults ? { op7: Math.floor(total * 0.2), close: Math.floor(total * 0.4), dup: Math.floor(total * 0.5), halfOpen: Math.floor(total * 0.7) } : {};
  const load = startLoadMonitor();
  // Chat c writes its j-th message at (j + c / chats) / perChat seconds, give or take 20%: about
  // perChat a second each, the chats spread over the second.
  const schedule = [];
  const perChatCount = Math.ceil(total / chatCount);
  for (let c = 0; c < chatCount; c++) {
    for (let j = 0; j < perChatCount && schedule.length < total; j++) {
      const jitter = (Math.random() - 0.5) * 0.4;
      schedule.push({ c, at: ((j + c / chatCount + jitter) / perChat) * 1000 });
    }
  }
  schedule.sort((a, b) => a.at - b.at);
  const t0 = performance.now();
  let injected = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now() - t0;
      while (injected < total && schedule[injected].at <= now) {
        const k = injected++;
        const c = schedule[k].c;
        const chat = chatOf(c);
        const id = `ROBOT1.0_M${k}`;
        chatOfMessage[k] = c;
        http.issueMsgId(id, chat);
        injectedAt[k] = performance.now();
        const event =
          chat.kind === 'user'
            ? ['C2C_MESSAGE_CREATE', { id, content: `echo ${k}`, timestamp: secondStamp(), author: { user_openid: chat.id } }]
            : ['GROUP_AT_MESSAGE_CREATE', { id, content: ` echo ${k}`, timestamp: secondStamp(), group_openid: chat.id, author: { member_openid: `G${c}M${k % membersPerGroup}` } }];
        gateway.dispatch(event[0], event[1]);
        if (k === faultAt.op7) gateway.op(7);
        if (k === faultAt.close) gateway.close(4009);
        if (k === faultAt.dup) {
          const again = gateway.history.findLast((h) => h.t === 'C2C_MESSAGE_CREATE' || h.t === 'GROUP_AT_MESSAGE_CREATE');
          gateway.dispatch(again.t, again.d);
        }
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

  // Check every reply against the message it answers; wait until all are in or 30 s pass with none.
  const answers = new Map();
  let misdirected = 0;
  let last = 0;
  let lastReplyAt = t0;
  let stalledSince = performance.now();
  for (;;) {
    for (; last < http.sent.length; last++) {
      const entry = http.sent[last];
      const text = String(entry.body.content).trim();
      const k = /^\d+$/.test(text) ? Number(text) : NaN;
      // One reply, one message: anything else (joined answers, a wrong msg_id, the wrong chat) is misdirected.
      if (!Number.isInteger(k) || k >= total || entry.replyTo !== `ROBOT1.0_M${k}` || entry.chat.id !== chatOf(chatOfMessage[k]).id) {
        misdirected++;
        continue;
      }
      const seen = answers.get(k);
      if (seen) seen.count++;
      else answers.set(k, { at: entry.at, count: 1 });
      lastReplyAt = Math.max(lastReplyAt, entry.at);
      stalledSince = performance.now();
    }
    if (answers.size >= total || performance.now() - stalledSince > 30_000) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const machine = load.stop();
  clearInterval(sampler);
  const latencies = [...answers.entries()].map(([k, v]) => v.at - injectedAt[k]).sort((a, b) => a - b);
  const refusals = {};
  for (const r of http.refusals) refusals[r.code] = (refusals[r.code] ?? 0) + 1;
  const seconds = (lastReplyAt - t0) / 1000;
  const row = {
    run: faults ? 'faults (op 7, 4009, dup, half-open)' : 'clean',
    messages: total,
    'replies/s': Math.round(answers.size / seconds),
    'p50 ms': percentile(latencies, 50).toFixed(1),
    'p99 ms': percentile(latencies, 99).toFixed(1),
    'max ms': (latencies.at(-1) ?? NaN).toFixed(1),
    missing: total - answers.size,
    duplicated: [...answers.values()].filter((v) => v.count > 1).length,
    misdirected,
    refused: Object.entries(refusals).map(([code, n]) => `${code}×${n}`).join(' ') || '0',
    'gateway conns': gateway.connections.length,
    'peak RSS MB': Math.round(peakRss / 2 ** 20),
    load: describeLoad(machine),
    others: Math.round(machine.othersCores * 100),
  };
  await bridge.stop();
  await gateway.stop();
  await http.stop();
  await rm(dir, { recursive: true, force: true });
  return row;
}

const runs = values.only ? [values.only === 'faults'] : [false, true];
const rows = [];
for (const faults of runs) rows.push(await run(faults));
console.log(`node ${process.version}, ${cpus().length} cores; ${total} messages from ${chatCount} chats (${chatCount / 2} groups, ${chatCount / 2} one-to-one) at ~${perChat}/s each; fake REST latency ${latencyMs} ms; file store (fsync)`);
console.log('clock: this process, from the gateway sending a message to the REST endpoint receiving its reply; replies/s = correct replies / (last reply − first message)');
console.log('changed from the defaults: outbox retry backoff 20–200 ms (user default 1 s – 5 min); gateway heartbeat 200 ms');
console.table(rows.map(({ load: _, others: _o, ...row }) => row));
for (const row of rows) console.log(`${row.run}: ${row.load}`);
emitRows(
  rows.map((r) => ({
    bench: 'qq',
    config: `${r.run}, ${chatCount} chats at ~${perChat}/s`,
    covers: 'gateway sends a message → REST receives the reply to that very message',
    rate: r['replies/s'],
    unit: 'replies',
    p50: Number(r['p50 ms']),
    p99: Number(r['p99 ms']),
    rss: r['peak RSS MB'],
    ok: r.missing === 0 && r.duplicated === 0 && r.misdirected === 0,
    note: `missing ${r.missing}, duplicated ${r.duplicated}, misdirected ${r.misdirected}`,
    others: r.others,
  })),
);
const wrong = rows.filter((r) => r.missing > 0 || r.duplicated > 0 || r.misdirected > 0);
if (wrong.length > 0) {
  console.log(`FAILED: ${wrong.map((r) => r.run).join(', ')} had missing, duplicated or misdirected replies`);
  process.exitCode = 1;
}
