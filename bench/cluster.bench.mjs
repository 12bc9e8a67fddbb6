// Several instances, one bot (see bench/cluster/harness.mjs): real `switchboard start` processes on one
// redis-server (Debian's, started here, appendfsync always), a fake QQ platform with sharded gateway and
// strict passive replies, a device feed, and a command that records its runs.
//
//   throughput   --messages N sent as fast as the gateway takes them: one bridge on the file store, then
//                on Redis with 1 and with 2 instances; the
//                clock runs from the first message sent to the last reply received, and every reply is
//                checked against its message (missing, doubled).
//   failover     --kills K times, at a random moment (2–5 s apart) under --rate messages a second and an
//                alarm every 50 messages, one instance (the active one and a standby by turns) is SIGKILLed and a supervisor starts a
//                new one. Per kill: the ms until an instance is active again and every shard has a ready
//                gateway session. At the end: messages unanswered (lost), answered "may or may not have
//                run" instead of by their command (interrupted: a dead instance had begun it), answered
//                twice (doubled), commands run twice (rerun), alarms not paged or paged twice.
//   outage       redis-server is SIGKILLed for --outage seconds under load, then started again; both
//                bridges must still run, and the same counts are taken.
//
//   npm run bench:cluster
//   node bench/cluster.bench.mjs [--only throughput|failover|outage] [--kills 10] [--rate 100] [--outage 30]
// Exits 1 when any count that must be 0 is not, or a failover takes 10 s or more.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startRedis } from '@switchboard/store-redis/testing';
import { startCluster, until } from './cluster/harness.mjs';
import { emitRows } from './report.mjs';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    messages: { type: 'string', default: '5000' },
    kills: { type: 'string', default: '10' },
    rate: { type: 'string', default: '100' },
    outage: { type: 'string', default: '30' },
  },
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

let runs = 0;
async function withCluster(fn, store = 'redis') {
  const redis = await startRedis({ appendfsync: 'always' });
  const dir = await mkdtemp(join(tmpdir(), 'sb-cluster-bench-'));
  const cluster = await startCluster({ redisUrl: redis.url, dir, prefix: `b${++runs}:`, shards: 2, chats: 2000, store });
  try {
    return await fn(cluster, redis);
  } finally {
    await cluster.stop();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function ready(cluster, count) {
  const first = cluster.instance();
  await until(() => first.role() === 'active', 'an active instance', 30_000);
  for (let i = 1; i < count; i++) {
    const it = cluster.instance();
    await until(() => it.role() === 'standby', 'a standby instance', 30_000);
  }
  await until(() => cluster.shardHolders().every(Boolean), 'every shard held', 30_000);
  // A joining instance takes its share a tick later (and waits out max_concurrency's 5 s).
  if (count > 1) await sleep(7000);
  await until(() => cluster.shardHolders().every(Boolean), 'every shard held', 30_000);
}

async function throughput(count, store = 'redis') {
  const total = Number(values.messages);
  return withCluster(async (cluster) => {
    await ready(cluster, count);
    const t0 = performance.now();
    for (let k = 0; k < total; k++) {
      cluster.send();
      if (k % 200 === 199) await sleep(0);
    }
    await until(() => cluster.tally().answered === total, 'every reply', 120_000).catch(() => undefined);
    const seconds = (performance.now() - t0) / 1000;
    const t = cluster.tally();
    const row = { store, instances: count, messages: total, 'replies/s': Math.round(t.answered / seconds), missing: t.unanswered, doubled: t.doubledReplies, rerun: t.rerun };
    emitRows([{ bench: 'cluster', config: `throughput:${store}:${count}`, covers: 'gateway event → queue → command → reply at the fake REST', rate: row['replies/s'], unit: 'replies/s', ok: t.unanswered + t.doubledReplies + t.rerun === 0 }]);
    return row;
  }, store);
}

/** Keep `count` instances running: a killed one is replaced, as a supervisor would. */
function supervise(cluster, count) {
  let on = true;
  const loop = (async () => {
    while (on) {
      const alive = cluster.instances.filter((i) => i.alive());
      for (let i = alive.length; i < count; i++) cluster.instance();
      await sleep(200);
    }
  })();
  return async () => {
    on = false;
    await loop;
  };
}

function startLoad(cluster, rate) {
  let on = true;
  const loop = (async () => {
    const t0 = performance.now();
    let sent = 0;
    while (on) {
      const due = Math.floor(((performance.now() - t0) / 1000) * rate);
      for (; sent < due; sent++) {
        cluster.send();
        if (sent % 50 === 49) cluster.alarm();
      }
      await sleep(5);
    }
  })();
  return async () => {
    on = false;
    await loop;
  };
}

async function settle(cluster) {
  await until(() => {
    const t = cluster.tally();
    return t.unanswered === 0 && t.unpaged === 0;
  }, 'every reply and page', 60_000).catch(() => undefined);
  await sleep(2000);
  return cluster.tally();
}

async function failover() {
  const kills = Number(values.kills);
  return withCluster(async (cluster) => {
    await ready(cluster, 2);
    const stopSupervisor = supervise(cluster, 2);
    const stopLoad = startLoad(cluster, Number(values.rate));
    const times = [];
    const roles = [];
    for (let k = 0; k < kills; k++) {
      await sleep(2000 + Math.random() * 3000);
      // The active instance and a standing-by one by turns, so that both kinds of failover are measured.
      const alive = cluster.instances.filter((i) => i.alive() && i.role() !== 'starting');
      const victim = alive.find((i) => (i.role() === 'active') === (k % 2 === 0)) ?? alive[0];
      roles.push(victim.role());
      const killedAt = performance.now();
      const moved = await cluster.kill(victim);
      await until(moved, 'the work to move', 30_000).catch(() => undefined);
      times.push(performance.now() - killedAt);
      // The replacement stands by (and takes its shard share) before the next kill.
      await until(() => cluster.instances.filter((i) => i.alive() && i.role() !== 'starting').length === 2, 'the replacement', 30_000).catch(() => undefined);
    }
    await stopLoad();
    await stopSupervisor();
    const t = await settle(cluster);
    const sorted = [...times].sort((a, b) => a - b);
    const row = {
      kills,
      'killed (active/standby)': `${roles.filter((r) => r === 'active').length}/${roles.filter((r) => r !== 'active').length}`,
      'moved min ms': Math.round(sorted[0]),
      'median ms': Math.round(percentile(sorted, 50)),
      'max ms': Math.round(sorted.at(-1)),
      messages: t.sent,
      lost: t.unanswered,
      interrupted: t.interrupted,
      doubled: t.doubledReplies,
      rerun: t.rerun,
      alarms: t.alarms,
      unpaged: t.unpaged,
      'paged twice': t.pagedTwice,
    };
    emitRows([{ bench: 'cluster', config: `failover:${kills}`, covers: 'SIGKILL → an active instance and every shard ready again', rate: row['median ms'], unit: 'ms (median)', ok: ok(t) && sorted.at(-1) < 10_000 }]);
    return row;
  });
}

async function outage() {
  const seconds = Number(values.outage);
  return withCluster(async (cluster, redis) => {
    await ready(cluster, 2);
    const active = cluster.instances.find((i) => i.role() === 'active');
    const stopLoad = startLoad(cluster, Number(values.rate));
    await sleep(2000);
    await redis.kill();
    await sleep(seconds * 1000);
    await redis.restart();
    await sleep(5000);
    await stopLoad();
    const t = await settle(cluster);
    const row = {
      'outage s': seconds,
      'both running': cluster.instances.filter((i) => i.alive()).length === 2,
      'same active': active.alive() && active.role() === 'active',
      messages: t.sent,
      lost: t.unanswered,
      doubled: t.doubledReplies,
      rerun: t.rerun,
      alarms: t.alarms,
      unpaged: t.unpaged,
      'paged twice': t.pagedTwice,
    };
    emitRows([{ bench: 'cluster', config: `outage:${seconds}s`, covers: 'redis-server down under load, then back', rate: t.sent, unit: 'messages', ok: ok(t) && row['both running'] }]);
    return row;
  });
}

function ok(t) {
  return t.unanswered + t.doubledReplies + t.rerun + t.unpaged + t.pagedTwice === 0;
}

let failed = false;
if (!values.only || values.only === 'throughput') {
  const rows = [await throughput(1, 'file'), await throughput(1), await throughput(2)];
  console.table(rows);
  failed ||= rows.some((r) => r.missing + r.doubled + r.rerun > 0);
}
if (!values.only || values.only === 'failover') {
  const row = await failover();
  console.table([row]);
  failed ||= row.lost + row.doubled + row.rerun + row.unpaged + row['paged twice'] > 0 || row['max ms'] >= 10_000;
}
if (!values.only || values.only === 'outage') {
  const row = await outage();
  console.table([row]);
  failed ||= row.lost + row.doubled + row.rerun + row.unpaged + row['paged twice'] > 0 || !row['both running'];
}
process.exit(failed ? 1 : 0);
