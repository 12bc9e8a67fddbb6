// Two `switchboard start` processes, one bot, one Redis: a QQ platform with two gateway shards, a device feed and a
// command that counts its runs. The shards are spread over both instances, the platform's max_concurrency holds
// across them, and when either instance is SIGKILLed under load its work moves to the other within 10 s with every
// message answered once, no command run twice and no alert paged twice.
import { describe, expect, it } from 'vitest';
import { startCluster, until, type Cluster, type ClusterInstance } from '../../../bench/cluster/harness.mjs';
import { useCliProcesses, useRedis, useTempDir } from './fixtures.js';

const redis = useRedis({ appendfsync: 'always' });
const dir = useTempDir('sb-cluster-');
useCliProcesses();
let n = 0;

const shardsOf = (instance: ClusterInstance): number[] => instance.shards();

async function twoInstances(): Promise<{ cluster: Cluster; a: ClusterInstance; b: ClusterInstance }> {
  const cluster = await startCluster({ redisUrl: redis.url, dir: dir(), prefix: `cl${++n}:`, shards: 2 });
  const a = cluster.instance();
  await until(() => a.role() === 'active', 'the first instance to be active', 20_000);
  const b = cluster.instance();
  await until(() => b.role() === 'standby', 'the second instance to stand by', 20_000);
  // max_concurrency is 1: the second shard's identify waits out the 5 s after the first.
  await until(() => shardsOf(a).length === 1 && shardsOf(b).length === 1 && cluster.shardHolders().every(Boolean), 'one shard on each instance', 20_000);
  return { cluster, a, b };
}

/** Messages and alarms while `during` runs, then everything answered. */
async function underLoad(cluster: Cluster, during: () => Promise<void>): Promise<void> {
  let sending = true;
  const load = (async () => {
    while (sending) {
      cluster.send();
      if (cluster.tally().sent % 25 === 0) cluster.alarm();
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  await during();
  for (let i = 0; i < 50; i++) cluster.send();
  sending = false;
  await load;
  await until(() => cluster.tally().unanswered === 0 && cluster.tally().unpaged === 0, 'every message answered and every alarm paged', 30_000).catch((error: Error) => {
    throw new Error(`${error.message}: ${JSON.stringify(cluster.tally())}`);
  });
}

describe.skipIf(!redis.present)('several instances, one bot', () => {
  it('spreads the shards and keeps max_concurrency across instances; the active one killed, the other takes everything within 10 s', async () => {
    const { cluster, a, b } = await twoInstances();
    try {
      expect(shardsOf(a)).not.toEqual(shardsOf(b));
      let moved = 0;
      await underLoad(cluster, async () => {
        await new Promise((r) => setTimeout(r, 1000));
        const killedAt = Date.now();
        const movedAway = await cluster.kill(a);
        await until(() => movedAway() && b.role() === 'active' && shardsOf(b).length === 2, 'the survivor to hold everything', 10_000);
        moved = Date.now() - killedAt;
      });
      const tally = cluster.tally();
      expect(tally).toMatchObject({ unanswered: 0, doubledReplies: 0, rerun: 0, unpaged: 0, pagedTwice: 0 });
      expect(tally.sent).toBeGreaterThan(100);
      expect(moved).toBeLessThan(10_000);
      // The platform's rule, across both processes: at most max_concurrency (1) identifies in any 5 s.
      const at = cluster.gateway.identifies.map((i) => i.at).sort((x, y) => x - y);
      for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(4900);
      console.log(`active killed: the standby held everything ${moved} ms later; ${JSON.stringify(tally)}`);
    } finally {
      await cluster.stop();
    }
  }, 60_000);

  it('a standing-by instance killed: its shard is resumed by the active one, and what was sent meanwhile is answered once', async () => {
    const { cluster, a, b } = await twoInstances();
    try {
      const mine = shardsOf(b)[0]!;
      let moved = 0;
      await underLoad(cluster, async () => {
        await new Promise((r) => setTimeout(r, 500));
        const killedAt = Date.now();
        const movedAway = await cluster.kill(b);
        await until(() => movedAway() && shardsOf(a).includes(mine), 'the active instance to resume the shard', 10_000);
        moved = Date.now() - killedAt;
      });
      expect(cluster.tally()).toMatchObject({ unanswered: 0, doubledReplies: 0, rerun: 0, pagedTwice: 0 });
      expect(a.output()).toMatch(new RegExp(`"shard":${mine},"resume":true`));
      expect(moved).toBeLessThan(10_000);
    } finally {
      await cluster.stop();
    }
  }, 60_000);

  it('Redis down for 8 s (four lock lifetimes) under load: both keep running, the same one stays active, and they catch up losing nothing', async () => {
    const { cluster, a, b } = await twoInstances();
    try {
      await underLoad(cluster, async () => {
        await new Promise((r) => setTimeout(r, 500));
        await redis.kill();
        await new Promise((r) => setTimeout(r, 8000));
        await redis.restart();
        await new Promise((r) => setTimeout(r, 2000));
      });
      // Give a wrong takeover (the standby taking the lapsed lock first) its chance to show.
      await new Promise((r) => setTimeout(r, 3000));
      expect([a.alive(), b.alive(), a.role(), b.role()]).toEqual([true, true, 'active', 'standby']);
      expect(a.output()).not.toMatch(/lost the Redis store lock/);
      expect(cluster.tally()).toMatchObject({ unanswered: 0, doubledReplies: 0, rerun: 0, unpaged: 0, pagedTwice: 0 });
    } finally {
      await cluster.stop();
    }
  }, 90_000);
});
