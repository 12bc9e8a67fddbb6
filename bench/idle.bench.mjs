// Idle benchmark: what a bridge costs while nothing happens but it holds open alerts. 100 alerts are opened
// and paged; then either their feed goes down (their pages, reminders and steps are held until it returns) or
// a silence holds them, and the bridge is left alone. The clock covers that idle stretch: the process's own
// CPU over --seconds of wall time (all threads), and how many escalation passes ran. Target: under 1% of a core.
//
//   npm run build && node bench/idle.bench.mjs [--alerts 100] [--seconds 10] [--only feed-down|silence]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Bridge, FileStore } from '@switchboard/core';
import { MemoryAdapter, memoryUser } from '@switchboard/core/testing';
import { Alerting, Relay, RelaySections } from '@switchboard/relay';
import { ManualSource } from '@switchboard/relay/testing';
import { describeLoad, startLoadMonitor } from './machineLoad.mjs';
import { emitRows } from './report.mjs';

const { values } = parseArgs({
  options: {
    alerts: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '10' },
    only: { type: 'string' },
  },
});
const alerts = Number(values.alerts);
const seconds = Number(values.seconds);
for (const [name, n] of [['alerts', alerts], ['seconds', seconds]]) {
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`--${name} takes a number above 0, got ${values[name]}`);
}
const TargetPercent = 1;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(hold) {
  const dir = await mkdtemp(join(tmpdir(), 'sb-idle-bench-'));
  const adapter = new MemoryAdapter({ record: false });
  let source;
  const relay = new Relay({
    feeds: RelaySections.feeds.parse([{ name: 'plant', type: 'websocket', url: 'ws://127.0.0.1:1' }]),
    routes: RelaySections.routes.parse([
      {
        name: 'plant',
        match: { source: 'plant' },
        notify: { tier: 'user' },
        // Short times, so that reminders and steps fall due during the idle stretch.
        alert: { severity: 'warning', groupWait: '0s', repeatInterval: '2s', escalate: [{ after: '1s', notify: { tier: 'admin' } }, { after: '1s', notify: { tier: 'root' } }], repeat: 9 },
      },
    ]),
    relay: RelaySections.relay.parse({ startJitter: 0, sourceDownAfter: '200ms' }),
    createSource: (feed) => (source = new ManualSource(feed.name)),
  });
  const bridge = new Bridge({
    store: new FileStore({ dir }),
    adapters: [adapter],
    plugins: [relay],
    users: [memoryUser('root1', 'root'), memoryUser('ada', 'admin'), memoryUser('uma', 'user')],
  });
  await bridge.start();
  const at = Date.now();
  await Promise.all(
    Array.from({ length: alerts }, (_, i) =>
      relay.handle({ source: 'plant', key: `pump-${i}`, topic: 'pump', severity: 'error', state: 'failed', text: `Pump ${i} failed`, at, resolved: false }),
    ),
  );
  if (relay.context.alerts.open().length < alerts) throw new Error(`only ${relay.context.alerts.open().length} of ${alerts} alerts opened`);
  if (hold === 'feed-down') {
    source.go('reconnecting', 'bench: feed down');
    await sleep(500);
    if (!relay.context.health.isDown('plant')) throw new Error('the feed was not taken for down');
  } else {
    adapter.inject({ from: 'root1', text: 'silence source=plant 1h bench' });
    await sleep(200);
    if (relay.context.silences.active().length !== 1) throw new Error('the silence was not set');
  }
  // Let what was due at the hold settle, then measure a stretch in which reminders and steps keep falling due.
  await sleep(5000);
  const passes = { count: 0 };
  const original = Alerting.prototype.escalate;
  Alerting.prototype.escalate = function counted() {
    passes.count++;
    return original.call(this);
  };
  const load = startLoadMonitor();
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await sleep(seconds * 1000);
  const used = process.cpuUsage(cpu0);
  const wall = performance.now() - wall0;
  const machine = load.stop();
  Alerting.prototype.escalate = original;
  const cpuMicros = used.user + used.system;
  const percent = (cpuMicros / 1000 / wall) * 100;
  await bridge.stop();
  await rm(dir, { recursive: true, force: true });
  return {
    hold,
    alerts,
    seconds: Number((wall / 1000).toFixed(1)),
    'CPU % of a core': Number(percent.toFixed(2)),
    'CPU µs per second': Math.round(cpuMicros / (wall / 1000)),
    'escalation passes': passes.count,
    'peak RSS MB': Math.round(process.resourceUsage().maxRSS / 1024),
    ok: percent < TargetPercent,
    others: Math.round(machine.othersCores * 100),
    machine: describeLoad(machine),
  };
}

const holds = values.only ? [values.only] : ['feed-down', 'silence'];
const results = [];
for (const hold of holds) {
  if (hold !== 'feed-down' && hold !== 'silence') throw new RangeError(`--only takes feed-down or silence, got ${hold}`);
  const result = await measure(hold);
  results.push(result);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
emitRows(
  results.map((r) => ({
    bench: 'idle',
    config: `${r.alerts} open alerts held (${r.hold === 'feed-down' ? 'their feed down' : 'a silence'}), file store`,
    covers: `an idle bridge over ${r.seconds} s: its own CPU (${r['escalation passes']} escalation passes)`,
    rate: r['CPU % of a core'],
    unit: '% of a core',
    rss: r['peak RSS MB'],
    cpu: r['CPU µs per second'],
    ok: r.ok,
    note: `target < ${TargetPercent}% of a core`,
    others: r.others,
  })),
);
if (results.some((r) => !r.ok)) process.exitCode = 1;
