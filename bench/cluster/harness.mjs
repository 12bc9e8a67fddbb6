// Several `switchboard start` processes, one bot: what the multi-instance test and the failover
// benchmark share. In this process: a fake QQ platform (REST + a sharded gateway, strict as in
// bench/qq.bench.mjs), a WebSocket device feed, and the bookkeeping that checks what people got.
// The bridges are real CLI processes on one Redis prefix, with a plugin command `tick K` that
// appends K to a file before it answers (so a command run twice shows), and a route that pages
// `pager` once per device that goes into alarm (so a page sent twice shows).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { FakeGateway, FakeQqHttp } from '@switchboard/adapter-qq/testing';

const bin = new URL('../../packages/cli/dist/bin.js', import.meta.url).pathname;
const secret = 'cluster-secret-0123456789';
const appId = '10001';
/** The pager's one-to-one chat; people 1..chats-1 write `tick` commands. */
const pager = 'U0';

const tickPlugin = `import { appendFileSync } from 'node:fs';
export default {
  name: 'tick',
  apply(ctx) {
    ctx.command({
      name: 'tick', kind: 'control', minTier: 'user', description: 'count a run',
      run(c) { appendFileSync(process.env.SB_RUNS_FILE, c.argText + '\\n'); return c.reply('ok ' + c.argText); },
    });
  },
};
`;

/**
 * Start the platform and the feed and write the config; `instance()` starts a bridge.
 * @param {{ redisUrl: string, dir: string, prefix: string, shards?: number, chats?: number, lockTtl?: number, maxConcurrency?: number, store?: 'redis' | 'file' }} options
 */
export async function startCluster(options) {
  const { redisUrl, dir, prefix } = options;
  const shards = options.shards ?? 2;
  const chats = options.chats ?? 20;
  const http = new FakeQqHttp(appId, secret);
  http.activeAllowed = true;
  http.chatRate = 1000;
  http.maxConcurrency = options.maxConcurrency ?? 1;
  await http.start();
  const gateway = new FakeGateway();
  gateway.heartbeatInterval = 500;
  await gateway.start();
  http.gatewayUrl = gateway.url;
  for (let c = 0; c < chats; c++) http.addChat({ kind: 'user', id: `U${c}` });

  const feed = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => feed.once('listening', resolve));
  const feedFrames = [];
  feed.on('connection', (socket) => {
    for (const frame of feedFrames) socket.send(frame);
  });

  const runsFile = join(dir, `runs-${prefix.replace(/[^A-Za-z0-9]/g, '_')}.txt`);
  await writeFile(join(dir, 'tick.mjs'), tickPlugin);
  const configName = `switchboard-${prefix.replace(/[^A-Za-z0-9]/g, '_')}.yaml`;
  const users = Array.from({ length: chats }, (_, c) => `  - { name: p${c}, tier: ${c === 0 ? 'root' : 'user'}, identities: ["qq:U${c}"] }`).join('\n');
  const config = join(dir, configName);
  await writeFile(
    config,
    `logLevel: info
${options.store === 'file' ? `dataDir: ./data-${prefix.replace(/[^A-Za-z0-9]/g, '_')}` : `store: { type: redis, url: "${redisUrl}", prefix: "${prefix}", lockTtl: ${options.lockTtl ?? 2000} }`}
dispatcher: { userRate: 0 }
outbox: { retryBase: 50ms, retryMax: 500ms }
adapters:
  qq: { appId: "${appId}", secret: "${secret}", apiBase: "${http.base}", tokenUrl: "${http.base}/app/getAppAccessToken", transport: websocket, shards: ${shards}, activeMessages: true, intents: [GROUP_AND_C2C_EVENT] }
users:
${users}
feeds:
  - name: plant
    type: websocket
    url: ws://127.0.0.1:${feed.address().port}
    mapping: { device: device, state: state, severity: severity, text: message, normal: [ok] }
routes:
  - name: pages
    match: { source: plant }
    notify: { users: [p0] }
    alert: { severity: critical, groupWait: 0s }
plugins:
  - use: ./tick.mjs
`,
  );

  const instances = [];
  let next = 0;
  /** Start one bridge; `role()` is what its log says it is: 'active', 'standby' or 'starting'. */
  const instance = () => {
    const name = `i${++next}`;
    const child = spawn(process.execPath, [bin, 'start', '-c', config], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SB_RUNS_FILE: runsFile } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    const it = {
      name,
      child,
      exited,
      output: () => out,
      role: () => (out.includes('"bridge started"') ? 'active' : out.includes('standing by') ? 'standby' : 'starting'),
      alive: () => child.exitCode === null && child.signalCode === null,
      /** The shards its log says it holds now. */
      shards: () => {
        const held = new Set();
        for (const line of out.split('\n')) {
          const shard = /"shard":(\d+)/.exec(line)?.[1];
          if (shard === undefined) continue;
          if (line.includes('"holding a gateway shard"')) held.add(Number(shard));
          if (line.includes('"no longer holding a gateway shard"')) held.delete(Number(shard));
        }
        return [...held].sort((a, b) => a - b);
      },
    };
    instances.push(it);
    return it;
  };

  let sentCount = 0;
  /** Person (1..chats-1) writes `tick K` in their one-to-one chat; it reaches the bot over their chat's shard. */
  const send = () => {
    const k = sentCount++;
    const c = 1 + (k % (chats - 1));
    const id = `ROBOT1.0_M${k}`;
    http.issueMsgId(id, { kind: 'user', id: `U${c}` });
    gateway.dispatch('C2C_MESSAGE_CREATE', { id, content: `tick ${k}`, timestamp: new Date().toISOString(), author: { user_openid: `U${c}` } }, id, c % shards);
    return k;
  };

  let alarms = 0;
  /** A device goes into alarm: one page to the pager is due. */
  const alarm = () => {
    const j = alarms++;
    const frame = JSON.stringify({ device: `dev${j}`, state: 'alarm', severity: 'critical', message: `boiler ${j} over temperature` });
    feedFrames.push(frame);
    for (const socket of feed.clients) socket.send(frame);
    return j;
  };

  /** What people got so far: per message, its replies; per run of `tick`, how often; per device, its pages. */
  const tally = () => {
    const replies = new Map();
    const pages = new Map();
    const told = new Set();
    for (const s of http.sent) {
      const text = String(s.body.content ?? '');
      const reply = /^ok (\d+)$/.exec(text.trim());
      if (reply && s.replyTo === `ROBOT1.0_M${reply[1]}`) replies.set(Number(reply[1]), (replies.get(Number(reply[1])) ?? 0) + 1);
      // The survivor's word on a message whose command a dead instance had begun (it is not run again).
      const interrupted = /^ROBOT1\.0_M(\d+)$/.exec(s.replyTo ?? '');
      if (interrupted && text.includes('may or may not have run')) told.add(Number(interrupted[1]));
      const page = /dev(\d+)/.exec(text);
      if (page && s.chat.id === pager) pages.set(Number(page[1]), (pages.get(Number(page[1])) ?? 0) + 1);
    }
    const runs = new Map();
    const lines = existsSync(runsFile) ? readFileSync(runsFile, 'utf8').split('\n').filter(Boolean) : [];
    for (const line of lines) runs.set(Number(line), (runs.get(Number(line)) ?? 0) + 1);
    const count = (n, map) => {
      let lost = 0;
      let doubled = 0;
      for (let k = 0; k < n; k++) {
        const got = map.get(k) ?? 0;
        if (got === 0) lost++;
        if (got > 1) doubled++;
      }
      return { lost, doubled };
    };
    for (const k of told) if (!replies.has(k)) replies.set(k, 1);
    const r = count(sentCount, replies);
    const p = count(alarms, pages);
    return {
      sent: sentCount,
      answered: sentCount - r.lost,
      /** Answered with "may or may not have run" instead of the command's reply. */
      interrupted: [...told].length,
      unanswered: r.lost,
      doubledReplies: r.doubled,
      rerun: [...runs.values()].filter((v) => v > 1).length,
      alarms,
      unpaged: p.lost,
      pagedTwice: p.doubled,
    };
  };

  /** Each shard's newest ready gateway connection, or undefined. */
  const shardHolders = () => Array.from({ length: shards }, (_, i) => gateway.holderOf(i));

  /**
   * SIGKILL an instance; resolves, once it is gone, with a check that holds when its work has moved: an
   * instance is active, and each shard it held has a ready session opened after the kill.
   */
  const kill = async (victim) => {
    const held = victim.shards();
    const before = gateway.connections.length;
    victim.child.kill('SIGKILL');
    await victim.exited;
    return () =>
      instances.some((i) => i.alive() && i.role() === 'active') &&
      shardHolders().every(Boolean) &&
      held.every((i) => gateway.connections.indexOf(gateway.holderOf(i)) >= before);
  };

  const stop = async () => {
    for (const it of instances) if (it.alive()) it.child.kill('SIGKILL');
    await Promise.all(instances.map((it) => it.exited));
    for (const socket of feed.clients) socket.terminate();
    await new Promise((resolve) => feed.close(resolve));
    await gateway.stop();
    await http.stop();
  };

  return { http, gateway, config, instance, instances, send, alarm, tally, shardHolders, kill, stop };
}

/** Resolves once `predicate()` holds, polling every 10 ms; rejects after `ms` naming `what`. */
export async function until(predicate, what, ms = 15_000) {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - started;
}
